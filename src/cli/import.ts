/**
 * `heatwatch import FILE [--config PATH] [--format csv|line] [--precision auto|ns|us|ms|s]
 *  [--dry-run] [--skip-invalid] [--batch N]`: history into the configured series store.
 *
 * Nothing half-done: a first pass reads and checks the whole file (format, known points, the
 * sample rule at the import's clock) and stages the good samples in a temporary binary file
 * (import-stage.ts); any problem stops the import before one sample is written (exit 1) unless
 * `--skip-invalid`, which imports the good lines and exits 3. The second pass writes the staged
 * samples in batches of `--batch` (default 50,000; into SQLite, runs of whole hours of at least
 * that many). Idempotent: the stores keep one sample per (point, ts), so importing a file again
 * stores nothing twice.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { ResolvedConfig } from '../config/resolve.ts';
import { sampleProblem } from '../model.ts';
import { createSeriesStore } from '../store/create.ts';
import type { Precision } from './import-line.ts';
import { Stage } from './import-stage.ts';
import { takesHistory, toSamples } from '../ingest/columns.ts';
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
  const now = Date.now(); // one clock for the whole import: both passes judge "future" alike
  const opts: ReadOptions = { format, precision, devicePoints: (s, d) => devices.get(`${s}.${d}`), rule: (s) => sampleProblem(s, now) };

  const stage = values['dry-run'] ? null : new Stage();
  try {
    const t0 = performance.now();
    const checked = await check(file, opts, stage, !!values['skip-invalid']);
    if (checked === null) return 1;
    const { report, good, lines } = checked;
    const checkS = (performance.now() - t0) / 1000;
    if (report.total) report.print(file);
    if (!stage) {
      process.stdout.write(`checked ${file}: ${lines} lines, ${good} samples to import, ${report.total} problems (${checkS.toFixed(1)} s); nothing written (--dry-run)\n`);
      return report.total ? 1 : 0;
    }
    if (report.total && !values['skip-invalid']) {
      process.stderr.write(`nothing imported: fix the lines above, or import the ${good} good samples with --skip-invalid\n`);
      return 1;
    }
    const t1 = performance.now();
    const written = await writeStaged(stage, cfg, batch);
    if (written === null) return 1;
    const writeS = (performance.now() - t1) / 1000;
    const total = checkS + writeS;
    process.stdout.write(
      `imported ${written} samples from ${file} into ${cfg.storage.series.kind} in ${total.toFixed(1)} s ` +
        `(${Math.round(written / total)} samples/s; read and check ${checkS.toFixed(1)} s, write ${writeS.toFixed(1)} s)` +
        // CPU time too: on a shared machine it tells the command's own cost apart from waiting
        `, CPU ${cpuS().toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB` +
        (report.total ? `; ${report.total} lines skipped (--skip-invalid)` : '') +
        '\n',
    );
    return report.total ? 3 : 0;
  } finally {
    stage?.remove();
  }
}

/** CPU seconds of this process so far, user and system. */
function cpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Pass 1: reads and checks the whole file, staging the good samples; null when it cannot be read. */
async function check(file: string, opts: ReadOptions, stage: Stage | null, skipInvalid: boolean): Promise<{ report: ProblemReport; good: number; lines: number } | null> {
  const report = new ProblemReport();
  let good = 0;
  let lines = 0;
  try {
    for await (const chunk of readHistory(file, opts)) {
      report.add(chunk.problems);
      good += chunk.samples.length;
      lines = chunk.lines;
      // once a problem means nothing is imported, staging more is wasted disk
      if (stage && (skipInvalid || report.total === 0)) for (const s of chunk.samples) stage.add(s);
    }
  } catch (err) {
    if (!(err instanceof HistoryFileError)) throw err;
    process.stderr.write(`${err.message}\nnothing imported\n`);
    return null;
  }
  return { report, good, lines };
}

/**
 * Pass 2: the staged samples into the store; the count written, or null after a failed write
 * (reported). Two batches are in flight: the store commits writes one at a time in the order
 * given (port.ts), so the next batch is read while the last one commits (the SQLite store
 * commits in its worker thread). A store with a history path (SQLite) gets runs of whole
 * hours, at least `batch` and at most {@link HISTORY_RUN} samples: each series-hour is then
 * encoded into its block about once.
 */
async function writeStaged(stage: Stage, cfg: ResolvedConfig, batch: number): Promise<number | null> {
  const store = createSeriesStore(cfg.storage.series, { stations: cfg.stations });
  await store.init();
  let written = 0;
  let inFlight: Promise<void> | null = null;
  const history = takesHistory(store);
  const runs = history ? stage.runs(batch, Math.max(batch, HISTORY_RUN), hourOf) : stage.runs(batch, batch);
  try {
    for (const part of runs) {
      const n = part.length;
      const w = (history ? store.writeHistory(part) : store.write(toSamples(part, stage.table.ids))).then(() => void (written += n));
      if (inFlight) await inFlight;
      inFlight = w;
    }
    await inFlight;
    return written;
  } catch (err) {
    await inFlight?.catch(() => undefined);
    // a re-run is safe (idempotent), so say how far this one got
    process.stderr.write(`import stopped after ${written} of ${stage.count} samples: ${(err as Error).message}\nrun it again to finish: samples already stored are not stored twice\n`);
    return null;
  } finally {
    await store.close();
  }
}
