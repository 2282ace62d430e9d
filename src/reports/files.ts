/**
 * The tables of tables.ts as files: CSV (csv.ts rules) and XLSX (exceljs) with one sheet per
 * table, a title row naming the period and time zone, bold headers, column widths and the
 * header rows frozen. The ticket export streams: its rows come page by page and leave as they
 * are written, so 100,000 rows never sit in memory as one workbook.
 */
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { BOM, csvLine, type Cell } from './csv.ts';
import { localDateTime, wallClock } from './period.ts';
import type { Column, TableDoc } from './tables.ts';

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const NUM_FMT: Partial<Record<NonNullable<Column['kind']>, string>> = { datetime: 'yyyy-mm-dd hh:mm', percent: '0.0' };

/** A cell as CSV shows it: times in the site's zone, the rest as is. */
function csvCell(v: Cell, c: Column | undefined, timeZone: string): Cell {
  return c?.kind === 'datetime' && typeof v === 'number' ? localDateTime(v, timeZone) : v;
}

/** A cell as a spreadsheet holds it: times as dates showing the site's wall clock. */
function xlsxCell(v: Cell, c: Column | undefined, timeZone: string): ExcelJS.CellValue {
  if (v === undefined || v === null) return null;
  return c?.kind === 'datetime' && typeof v === 'number' ? wallClock(v, timeZone) : v;
}

const csvRow = (row: readonly Cell[], columns: readonly Column[], tz: string) => csvLine(row.map((v, i) => csvCell(v, columns[i], tz)));

/** The report as one CSV: the title, then each table under its name, a blank line between. */
export function tablesCsv(doc: TableDoc): string {
  let out = BOM + csvLine([doc.title]);
  for (const t of doc.tables) {
    out += `\r\n${csvLine([t.name])}${csvLine(t.columns.map((c) => c.header))}`;
    for (const r of t.rows) out += csvRow(r, t.columns, doc.timeZone);
  }
  return out;
}

type Sheet = ExcelJS.Worksheet;

/** Title row, header row, widths and formats of a sheet whose data starts at row 3. */
function prepareSheet(ws: Sheet, title: string | null, columns: readonly Column[]): void {
  ws.columns = columns.map((c) => ({ width: c.width, ...(c.kind && NUM_FMT[c.kind] ? { style: { numFmt: NUM_FMT[c.kind] } } : {}) }));
  if (title !== null) {
    const t = ws.addRow([title]);
    t.font = { bold: true, size: 13 };
    ws.mergeCells(1, 1, 1, Math.max(columns.length, 1));
  }
  const h = ws.addRow(columns.map((c) => c.header));
  h.font = { bold: true };
  h.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF5' } };
  });
}

/** The report as a workbook: one sheet per table. */
export async function tablesXlsx(doc: TableDoc): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.created = new Date(0);
  for (const t of doc.tables) {
    const ws = wb.addWorksheet(t.name, { views: [{ state: 'frozen', ySplit: 2 }] });
    prepareSheet(ws, doc.title, t.columns);
    for (const r of t.rows) ws.addRow(r.map((v, i) => xlsxCell(v, t.columns[i], doc.timeZone)));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** What a streamed table export needs: columns, time zone, and the rows a page at a time. */
export interface RowSource {
  name: string;
  columns: readonly Column[];
  timeZone: string;
  pages: AsyncIterable<readonly Cell[][]>;
}

/** A table export as a CSV stream: header row first (a table for any tool), no title. */
export function streamCsv(src: RowSource): Readable {
  return Readable.from(
    (async function* () {
      yield BOM + csvLine(src.columns.map((c) => c.header));
      for await (const page of src.pages) yield page.map((r) => csvRow(r, src.columns, src.timeZone)).join('');
    })(),
  );
}

/** A table export as an XLSX stream: one sheet, header row first and frozen, a filter on it. */
export function streamXlsx(src: RowSource): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  void (async () => {
    const ws = wb.addWorksheet(src.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    prepareSheet(ws, null, src.columns);
    ws.getRow(1).commit();
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: src.columns.length } };
    for await (const page of src.pages) {
      for (const r of page) ws.addRow(r.map((v, i) => xlsxCell(v, src.columns[i], src.timeZone))).commit();
      // let the response drain between pages
      await new Promise((resolve) => setImmediate(resolve));
    }
    ws.commit();
    await wb.commit();
  })().catch((err: Error) => out.destroy(err));
  return out;
}
