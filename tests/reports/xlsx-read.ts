import ExcelJS from 'exceljs';
import type { ServiceReport } from '../../src/reports/service-report.ts';

/** A workbook read back from a response body, bytes or a downloaded file's path. */
export async function readWorkbook(from: Response | ArrayBuffer | string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  if (typeof from === 'string') await wb.xlsx.readFile(from);
  else await wb.xlsx.load(from instanceof ArrayBuffer ? from : await from.arrayBuffer());
  return wb;
}

/** The service report's summary sheet (概况) as figure → value, from row 3 on. */
export function summaryFigures(wb: ExcelJS.Workbook): Record<string, unknown> {
  return Object.fromEntries(wb.getWorksheet('概况')!.getSheetValues().slice(3).map((row) => [(row as unknown[])[1], (row as unknown[])[2]]));
}

/** What the summary sheet must hold for a report's JSON. */
export function expectedSummary(json: ServiceReport): Record<string, unknown> {
  return {
    新建工单: json.created.total,
    '按时响应率(%)': json.onTime.respond.percent,
    '按时处理率(%)': json.onTime.resolve.percent,
    '回访率(%)': json.callbacks.callbackRate,
    '满意率(%)': json.callbacks.satisfaction,
    返修: json.repeats.total,
    超时合计: json.breaches.total.total,
  };
}

/** The 合计 row of the on-time sheet (按时率) for a report's JSON. */
export function expectedOnTimeTotal(json: ServiceReport): unknown[] {
  const { respond, resolve } = json.onTime;
  return ['合计', respond.onTime, respond.late, respond.percent, resolve.onTime, resolve.late, resolve.percent];
}
