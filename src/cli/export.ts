/**
 * `heatwatch export --from T [--to T] [--points ID,...] [--format csv|line] [--ts iso|ms]
 *  [--layout poll|point] [--out FILE] [--config PATH]`: raw samples of [from, to) from the configured series store
 * (its scan(), time order) to stdout or a file (gzipped when it ends in .gz), streamed batch by
 * batch with backpressure. CSV by default (ISO times; `--ts ms` for ms epoch); `line` is InfluxDB
 * line protocol in ns, one line per device poll as the InfluxDB store lays it out (`--layout
 * point`: the per-point layout of heatwatch ≤ 0.x). `heatwatch import` reads all of them back.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseTime } from '../api/query/time.ts';
import { loadConfig } from '../config/load.ts';
import { splitPointId } from '../model.ts';
import { createSeriesStore } from '../store/create.ts';
import { CSV_HEADER, csvLine } from './import-csv.ts';
import { pointLine, pollLines } from './import-line.ts';
import { formatOf, type Format } from './import-read.ts';

const usage = (message: string) => Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_EXPORT' });

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full. */
async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function runExport(argv: string[], configFile: (cli?: string) => string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      points: { type: 'string' },
      format: { type: 'string' },
      ts: { type: 'string', default: 'iso' },
      layout: { type: 'string', default: 'poll' },
      out: { type: 'string' },
    },
  });
  const now = Date.now();
  if (!values.from) throw usage('--from is required (ISO time, ms epoch or now-7d)');
  const from = parseTime(values.from, now);
  const to = values.to === undefined ? now : parseTime(values.to, now);
  if (from === null || to === null || from >= to) throw usage('--from/--to: need two times, from before to');
  const format = (values.format ?? (values.out ? formatOf(values.out) : 'csv')) as Format | null;
  if (format !== 'csv' && format !== 'line') throw usage(`--format csv|line (cannot tell from ${values.out})`);
  if (values.ts !== 'iso' && values.ts !== 'ms') throw usage('--ts iso|ms');
  if (values.layout !== 'poll' && values.layout !== 'point') throw usage('--layout poll|point');
  const iso = values.ts === 'iso';
  const points = values.points?.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = points?.find((p) => !splitPointId(p));
  if (bad) throw usage(`--points: '${bad}' is not a point id station.device.point`);
  const only = points ? new Set(points) : null;

  const cfg = loadConfig(configFile(values.config));
  const store = createSeriesStore(cfg.storage.series, { stations: cfg.stations });
  await store.init();
  let n = 0;
  try {
    if (!store.scan) throw new Error(`the ${cfg.storage.series.kind} series store cannot scan history`);
    let out: Writable = process.stdout;
    let done: Promise<void> = Promise.resolve();
    // a file is written beside its name and renamed when complete: a failed export leaves none
    const partial = values.out ? `${values.out}.partial` : null;
    if (values.out) {
      const file = createWriteStream(partial!);
      if (values.out.endsWith('.gz')) {
        const gz = createGzip();
        done = pipeline(gz, file);
        out = gz;
      } else {
        out = file;
        done = once(file, 'finish').then(() => undefined);
      }
    }
    const areas = new Map(cfg.stations.map((s) => [s.id, s.area ?? undefined]));
    const area = (station: string) => areas.get(station);
    if (format === 'csv') await put(out, CSV_HEADER);
    for await (const scanned of store.scan(from, to)) {
      const batch = only ? scanned.filter((s) => only.has(s.point)) : scanned;
      n += batch.length;
      let text = '';
      // a poll's samples share a ts, so they are in one scan batch: per-poll lines never split
      if (format === 'line' && values.layout === 'poll') text = pollLines(batch, area);
      else if (format === 'line') for (const s of batch) text += pointLine(s);
      else for (const s of batch) text += csvLine(s, iso);
      if (text) await put(out, text);
    }
    if (out !== process.stdout) {
      out.end();
      await done;
      renameSync(partial!, values.out!);
    }
  } catch (err) {
    if (values.out) rmSync(`${values.out}.partial`, { force: true });
    throw err;
  } finally {
    await store.close();
  }
  process.stderr.write(`exported ${n} samples of ${new Date(from).toISOString()} … ${new Date(to).toISOString()}${values.out ? ` to ${values.out}` : ''}\n`);
  return 0;
}
