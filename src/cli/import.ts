/**
 * `heatwatch import FILE [--config PATH] [--format csv|line] [--precision auto|ns|us|ms|s]
 *  [--dry-run] [--skip-invalid] [--batch N]`: history into the configured series store.
 *
 * Nothing half-done: the whole file is read and checked (format, known points, the sample rule
 * at the import's clock); any problem means nothing is written (exit 1) unless
 * `--skip-invalid`, which imports the good lines and exits 3. Into SQLite the good samples are
 * written while the file is read (the store's worker thread encodes one run of whole hours, at
 * least `--batch` samples, while this thread parses the next), all in one transaction that is
 * committed only when the file was good: two cores busy, nothing kept on a problem or a crash.
 * Into other stores a first pass stages the good samples in a temporary binary file
 * (import-stage.ts) and a second writes them in batches of `--batch` (default 50,000).
 * Idempotent: the stores keep one sample per (point, ts), so importing a file again stores
 * nothing twice.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { sampleProblem } from '../model.ts';
import { createSeriesStore } from '../store/create.ts';
import type { Precision } from './import-line.ts';
import { Runs, Stage } from './import-stage.ts';
import { type HistoryWriter, PointTable, takesHistory, toSamples } from '../ingest/columns.ts';
import type { Sample } from '../model.ts';
import type { SeriesStore } from '../store/port.ts';
import { hourOf } from '../store/sqlite/blocks.ts';
import { formatOf, HistoryFileError, readHistory, type Format, type Problem, type ProblemKind, type ReadOptions } from './import-read.ts';

/** problems listed one by one; the rest are counted */
const LISTED = 20;
/** samples per history write at most: an hour of 10,000 points at 10 s is 3.6 M (~75 MB of columns) */
const HISTORY_RUN = 4_000_000;

const usage = (message: string) => Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_IMPORT' });

/** Counts problems by kind and keeps the first {@link LISTED}. */
class ProblemReport {
  readonly first: Problem[] = [];
  readonly byKind = new Map<ProblemKind, number>();
  total = 0;
  add(list: Problem[]): void {
    for (const p of list) {
      this.total++;
      this.byKind.set(p.kind, (this.byKind.get(p.kind) ?? 0) + 1);
      if (this.first.length < LISTED) this.first.push(p);
    }
  }
  print(file: string): void {
    const out = this.first.map((p) => `${file}:${p.line}: ${p.kind}: ${p.message}`);
    if (this.total > this.first.length) out.push(`… and ${this.total - this.first.length} more`);
    out.push(`${this.total} problems: ${[...this.byKind].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    process.stderr.write(out.join('\n') + '\n');
  }
}

export async function runImport(argv: string[], configFile: (cli?: string) => string): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      format: { type: 'string' },
      precision: { type: 'string', default: 'auto' },
      'dry-run': { type: 'boolean' },
      'skip-invalid': { type: 'boolean' },
      batch: { type: 'string', default: '50000' },
    },
  });
  if (positionals.length !== 1) throw usage('import takes one FILE');
  const file = positionals[0];
  const format = (values.format ?? formatOf(file)) as Format | null;
  if (format !== 'csv' && format !== 'line') throw usage(`--format csv|line: cannot tell the format of ${file} from its extension (.csv, .lp)`);
  const precision = values.precision as Precision;
  if (!['auto', 'ns', 'us', 'ms', 's'].includes(precision)) throw usage('--precision auto|ns|us|ms|s');
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw usage('--batch: a positive whole number');

  const cfg = loadConfig(configFile(values.config));
  const devices = new Map<string, Set<string>>();
  for (const s of cfg.stations) for (const d of s.devices) devices.set(`${s.id}.${d.id}`, new Set(d.points.map((p) => p.id)));
  const now = Date.now(); // one clock for the whole import: every sample judged "future" alike
  const opts: ReadOptions = { format, precision, devicePoints: (s, d) => devices.get(`${s}.${d}`), rule: (s) => sampleProblem(s, now) };
  const skip = !!values['skip-invalid'];

  if (values['dry-run']) {
    const t0 = performance.now();
    const checked = await check(file, opts, skip, null);
    if (checked === null) return 1;
    const { report, good, lines } = checked;
    if (report.total) report.print(file);
    process.stdout.write(`checked ${file}: ${lines} lines, ${good} samples to import, ${report.total} problems (${((performance.now() - t0) / 1000).toFixed(1)} s); nothing written (--dry-run)\n`);
    return report.total ? 1 : 0;
  }
  const store = createSeriesStore(cfg.storage.series, { stations: cfg.stations });
  try {
    const t0 = performance.now();
    const done = takesHistory(store) ? await streamed(file, opts, skip, store, batch) : await staged(file, opts, skip, store, batch);
    if (done === null) return 1;
    const { report, good, written, checkS } = done;
    if (report.total) report.print(file);
    if (report.total && !skip) {
      process.stderr.write(`nothing imported: fix the lines above, or import the ${good} good samples with --skip-invalid\n`);
      return 1;
    }
    const total = (performance.now() - t0) / 1000;
    const split = done.overlapped
      ? `read and check ${checkS.toFixed(1)} s with the writes alongside, then ${(total - checkS).toFixed(1)} s to finish writing`
      : `read and check ${checkS.toFixed(1)} s, write ${(total - checkS).toFixed(1)} s`;
    process.stdout.write(
      `imported ${written} samples from ${file} into ${cfg.storage.series.kind} in ${total.toFixed(1)} s ` +
        `(${Math.round(written / total)} samples/s; ${split})` +
        // CPU time too: on a shared machine it tells the command's own cost apart from waiting
        `, CPU ${cpuS().toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB` +
        (report.total ? `; ${report.total} lines skipped (--skip-invalid)` : '') +
        '\n',
    );
    return report.total ? 3 : 0;
  } finally {
    await store.close();
  }
}

/** CPU seconds of this process so far (every thread), user and system. */
function cpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Checked {
  report: ProblemReport;
  good: number;
  lines: number;
}

/** What an import did; `written` counts nothing when a problem stopped it. */
interface Done extends Checked {
  written: number;
  checkS: number;
  /** written while the file was read */
  overlapped: boolean;
}

/**
 * Reads and checks the whole file, handing each good sample to `take` while it may still be
 * imported (an await there holds the reading back); null when the file cannot be read.
 */
async function check(file: string, opts: ReadOptions, skipInvalid: boolean, take: ((s: Sample) => Promise<void> | void) | null): Promise<Checked | null> {
  const report = new ProblemReport();
  let good = 0;
  let lines = 0;
  try {
    for await (const chunk of readHistory(file, opts)) {
      report.add(chunk.problems);
      good += chunk.samples.length;
      lines = chunk.lines;
      // once a problem means nothing is imported, handing on more is wasted work
      if (take && (skipInvalid || report.total === 0)) {
        for (const s of chunk.samples) {
          const wait = take(s);
          if (wait) await wait;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof HistoryFileError)) throw err;
    process.stderr.write(`${err.message}\nnothing imported\n`);
    return null;
  }
  return { report, good, lines };
}

/**
 * Two writes in flight at most: the store commits them one at a time in the order given
 * (port.ts), so the next is prepared while the last one is written (the SQLite store writes in
 * its worker thread). {@link send} waits for the one before the last, so memory stays at two.
 */
class Writes {
  written = 0;
  private inFlight: Promise<void> | null = null;

  async send(write: Promise<void>, n: number): Promise<void> {
    const w = write.then(() => void (this.written += n));
    w.catch(() => undefined); // awaited below or in settle()
    if (this.inFlight) await this.inFlight;
    this.inFlight = w;
  }

  /** Waits for the last write; an error of a write is thrown once. */
  async settle(): Promise<void> {
    const w = this.inFlight;
    this.inFlight = null;
    await w;
  }
}

/**
 * The SQLite store: the good samples go to the store's history path while the file is read, in
 * runs of whole hours, one transaction for the import (committed when no problem stops it).
 */
async function streamed(file: string, opts: ReadOptions, skipInvalid: boolean, store: SeriesStore & HistoryWriter, batch: number): Promise<Done | null> {
  await store.init();
  await store.beginHistory();
  const runs = new Runs(new PointTable(), batch, Math.max(batch, HISTORY_RUN), hourOf);
  const writes = new Writes();
  let commit = false;
  try {
    const t0 = performance.now();
    const checked = await check(file, opts, skipInvalid, (s) => {
      const run = runs.add(s);
      // the ts that ended the run: what is before it is due (the run's last minutes go to blocks too)
      if (run) return writes.send(store.writeHistory(run, runs.next), run.length);
    });
    const checkS = (performance.now() - t0) / 1000;
    if (checked === null) return null;
    if (checked.report.total && !skipInvalid) return { ...checked, written: 0, checkS, overlapped: true };
    const last = runs.finish();
    if (last) await writes.send(store.writeHistory(last), last.length);
    await writes.settle();
    commit = true;
    return { ...checked, written: writes.written, checkS, overlapped: true };
  } catch (err) {
    await writes.settle().catch(() => undefined);
    process.stderr.write(`import stopped: ${(err as Error).message}\nnothing imported (the import is one transaction)\n`);
    return null;
  } finally {
    await store.endHistory(commit);
  }
}

/** Other stores: the file checked and staged first, then written in batches of `batch`. */
async function staged(file: string, opts: ReadOptions, skipInvalid: boolean, store: SeriesStore, batch: number): Promise<Done | null> {
  const stage = new Stage();
  try {
    const t0 = performance.now();
    const checked = await check(file, opts, skipInvalid, (s) => stage.add(s));
    const checkS = (performance.now() - t0) / 1000;
    if (checked === null) return null;
    if (checked.report.total && !skipInvalid) return { ...checked, written: 0, checkS, overlapped: false };
    await store.init();
    const writes = new Writes();
    try {
      for (const part of stage.runs(new Runs(stage.table, batch, batch))) await writes.send(store.write(toSamples(part, stage.table.ids)), part.length);
      await writes.settle();
    } catch (err) {
      await writes.settle().catch(() => undefined);
      // a re-run is safe (idempotent), so say how far this one got
      process.stderr.write(`import stopped after ${writes.written} of ${stage.count} samples: ${(err as Error).message}\nrun it again to finish: samples already stored are not stored twice\n`);
      return null;
    }
    return { ...checked, written: writes.written, checkS, overlapped: false };
  } finally {
    stage.remove();
  }
}
