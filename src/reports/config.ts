/**
 * `reports:` config: how far back a new ticket or a reopen counts as a repeat repair, and the
 * most rows one ticket export may hold. Every key is optional; `resolveReportSettings` fills the
 * defaults.
 *
 * @example
 *   resolveReportSettings({ repeatWindowH: 48 }); // { repeatWindowMs: 172_800_000, exportMaxRows: 100_000 }
 */
import Type, { type Static } from 'typebox';

export const ReportsConfig = Type.Object(
  {
    /** a reopen, or a new ticket for the same equipment or address, within this many hours of the previous resolution is a repeat repair (返修) */
    repeatWindowH: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 })),
    /** a ticket export matching more tickets than this is refused (413): narrow the filters */
    exportMaxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type ReportsConfigInput = Static<typeof ReportsConfig>;

export interface ReportSettings {
  repeatWindowMs: number;
  exportMaxRows: number;
}

export const DEFAULT_REPEAT_WINDOW_H = 72;
export const DEFAULT_EXPORT_MAX_ROWS = 100_000;

/** Fills every default. Input is schema-valid (or undefined). */
export function resolveReportSettings(input: ReportsConfigInput | undefined): ReportSettings {
  return {
    repeatWindowMs: (input?.repeatWindowH ?? DEFAULT_REPEAT_WINDOW_H) * 3_600_000,
    exportMaxRows: input?.exportMaxRows ?? DEFAULT_EXPORT_MAX_ROWS,
  };
}
