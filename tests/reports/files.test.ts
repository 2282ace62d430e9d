// CSV and XLSX of reports and exports: RFC 4180 quoting, the formula-injection guard, the BOM,
// and both files read back (the CSV with an independent reader, the XLSX with exceljs) to the
// same cells, times shown on the site's wall clock.
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { BOM, csvField, csvLine } from '../../src/reports/csv.ts';
import { streamCsv, streamXlsx, tablesCsv, tablesXlsx } from '../../src/reports/files.ts';
import type { TableDoc } from '../../src/reports/tables.ts';
import { csvSections, readCsv } from './csv-read.ts';

const TZ = 'Asia/Shanghai';
/** 2026-12-01 08:05 in Shanghai */
const T = Date.UTC(2026, 11, 1, 0, 5);

const doc: TableDoc = {
  title: '服务报表 · 日报 2026-12-01 · 时区 Asia/Shanghai',
  timeZone: TZ,
  tables: [
    {
      name: '概况',
      columns: [{ header: '指标', width: 20 }, { header: '数值', width: 10, kind: 'number' }],
      rows: [['按时响应率(%)', 93.2], ['满意率(%)', null]],
    },
    {
      name: '返修',
      columns: [{ header: '工单', width: 8, kind: 'number' }, { header: '时间', width: 17, kind: 'datetime' }, { header: '地址', width: 30 }],
      rows: [[7, T, '学府路12号, "东"门\n3单元'], [8, T + 60_000, '=HYPERLINK("http://x")']],
    },
  ],
};

describe('CSV', () => {
  it('quotes what RFC 4180 asks and guards cells a spreadsheet would run as formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    for (const f of ['=1+2', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(csvField(f).replace(/^"/, '').startsWith("'"), f).toBe(true);
    expect(csvField('=A1,B1')).toBe(`"'=A1,B1"`);
    // numbers are data: a negative number stays a number
    expect(csvField(-3.5)).toBe('-3.5');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvLine(['水', 1, null])).toBe('水,1,\r\n');
  });

  it('a report CSV starts with the BOM and reads back to its tables, times on the site clock', () => {
    const text = tablesCsv(doc);
    expect(text.startsWith(BOM)).toBe(true);
    expect(text.includes('\r\n')).toBe(true);
    const records = readCsv(text.slice(1));
    expect(records[0]).toEqual([doc.title]);
    const s = csvSections(records);
    expect([...s.keys()]).toEqual(['概况', '返修']);
    expect(s.get('概况')).toEqual({ header: ['指标', '数值'], rows: [['按时响应率(%)', '93.2'], ['满意率(%)', '']] });
    expect(s.get('返修')?.rows).toEqual([
      ['7', '2026-12-01 08:05', '学府路12号, "东"门\n3单元'],
      ['8', '2026-12-01 08:06', `'=HYPERLINK("http://x")`],
    ]);
  });
});

async function load(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('XLSX', () => {
  it('one sheet per table: title row, bold headers, widths, frozen headers, the same cells', async () => {
    const wb = await load(await tablesXlsx(doc));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['概况', '返修']);
    const ws = wb.getWorksheet('返修')!;
    expect(ws.getCell('A1').value).toBe(doc.title);
    expect(ws.getRow(2).values).toEqual([undefined, '工单', '时间', '地址']);
    expect(ws.getRow(2).font?.bold).toBe(true);
    expect(ws.getColumn(3).width).toBe(30);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(ws.getCell('A3').value).toBe(7);
    // the wall clock of Shanghai in a zone-less spreadsheet date
    expect((ws.getCell('B3').value as Date).toISOString()).toBe('2026-12-01T08:05:00.000Z');
    expect(ws.getCell('B3').numFmt).toBe('yyyy-mm-dd hh:mm');
    // text stays text in a workbook: no formula made of it
    expect(ws.getCell('C4').value).toBe('=HYPERLINK("http://x")');
    expect(wb.getWorksheet('概况')!.getCell('B3').value).toBe(93.2);
    expect(wb.getWorksheet('概况')!.getCell('B4').value).toBeNull();
  });

  it('a streamed export reads back page after page, header first (XLSX and CSV)', async () => {
    const columns = [{ header: '编号', width: 8, kind: 'number' as const }, { header: '创建时间', width: 17, kind: 'datetime' as const }, { header: '标题', width: 30 }];
    async function* pages() {
      for (let p = 0; p < 3; p++) yield Array.from({ length: 500 }, (_, i) => [p * 500 + i + 1, T, `工单 ${p * 500 + i + 1}`]);
    }
    const wb = await load(await collect(streamXlsx({ name: '工单导出', columns, timeZone: TZ, pages: pages() })));
    const ws = wb.getWorksheet('工单导出')!;
    expect(ws.rowCount).toBe(1501);
    expect(ws.getRow(1).values).toEqual([undefined, '编号', '创建时间', '标题']);
    expect(ws.getCell('A1501').value).toBe(1500);
    expect(ws.getCell('C2').value).toBe('工单 1');
    const csv = (await collect(streamCsv({ name: 'x', columns, timeZone: TZ, pages: pages() }))).toString('utf8');
    expect(csv.startsWith(BOM)).toBe(true);
    const records = readCsv(csv.slice(1));
    expect(records).toHaveLength(1501);
    expect(records[1500]).toEqual(['1500', '2026-12-01 08:05', '工单 1500']);
  });
});
