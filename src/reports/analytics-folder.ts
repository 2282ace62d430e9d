/**
 * The folder of scheduled analytics report files (`<data folder>/reports/` unless
 * `analytics.reports.dir` says otherwise): written atomically (a temp file in the same folder,
 * then renamed over the name, so a reader never sees half a file and a crash leaves only a temp
 * file the listing ignores), listed, and found by a validated name only.
 *
 * @example
 *   const folder = new ReportFolder('data/reports');
 *   await folder.write('daily-2026-12-01.csv', text);
 *   (await folder.list())[0]; // { name: 'daily-2026-12-01.csv', kind: 'daily', label: '2026-12-01', format: 'csv', size: 1234, modifiedAt: … }
 */
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseFileName, type ScheduledFile } from './analytics-schedule.ts';

export interface ListedFile extends ScheduledFile {
  size: number;
  modifiedAt: number;
}

/** The scheduled reports' folder: `analytics.reports.dir`, else `reports/` beside the state database. */
export function reportFolderPath(configured: string | null | undefined, stateFiles: string): string {
  return configured ?? join(stateFiles, 'reports');
}

let temps = 0;

export class ReportFolder {
  constructor(readonly dir: string) {}

  /** The report files' names in the folder (others, temp files among them, left out); none when it does not exist yet. */
  async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => parseFileName(n) !== null);
    } catch (err) {
      // not there yet (or a file stands in its way: writing will say so, report by report)
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
  }

  /** Writes `name` whole or not at all. */
  async write(name: string, data: string | Buffer): Promise<void> {
    if (!parseFileName(name)) throw new Error(`'${name}' is not a report file name`);
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.${name}.${process.pid}.${++temps}.tmp`);
    try {
      await writeFile(temp, data);
      await rename(temp, join(this.dir, name));
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  /** Every report file, newest period first (a day's files before the month's), XLSX before CSV. */
  async list(): Promise<ListedFile[]> {
    const out: ListedFile[] = [];
    for (const name of await this.names()) {
      const f = parseFileName(name)!;
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st?.isFile()) out.push({ ...f, size: st.size, modifiedAt: Math.round(st.mtimeMs) });
    }
    const key = (f: ListedFile) => (f.kind === 'daily' ? f.label : `${f.label}-99`);
    return out.sort((a, b) => key(b).localeCompare(key(a)) || (a.format === b.format ? 0 : a.format === 'xlsx' ? -1 : 1));
  }

  /** The path of a report file by its name, or null when the name is not a report file's (no path can be smuggled in). */
  pathOf(name: string): string | null {
    return parseFileName(name) ? join(this.dir, name) : null;
  }
}
