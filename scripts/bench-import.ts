/**
 * `heatwatch import` throughput into SQLite: writes a config of STATIONS × 100 points and a
 * CSV of SAMPLES samples (10 s apart per point, in time order, as `export` writes them) to a temp
 * folder, then runs the real command in a child process and reports samples/s (and its peak RSS,
 * from the command's own summary), and the store's write ceiling (samples/s inside store.write alone, same batches).
 *
 *   node --import tsx scripts/bench-import.ts [--samples 10000000] [--stations 100] [--ts ms|iso] [--again] [--keep]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';
import type { Sample } from '../src/model.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000000' },
    stations: { type: 'string', default: '100' },
    ts: { type: 'string', default: 'ms' },
    keep: { type: 'boolean' },
    /** import the file a second time (every sample already stored: the stores' replay path) */
    again: { type: 'boolean' },
  },
});
const SAMPLES = Number(values.samples);
const STATIONS = Number(values.stations);
const PER_STATION = 100;
const POINTS = STATIONS * PER_STATION;
const STEPS = Math.ceil(SAMPLES / POINTS);
const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-import-'));
const t0 = Math.floor((Date.now() - STEPS * 10_000 - 3_600_000) / 1000) * 1000;
const pointIds = Array.from({ length: POINTS }, (_, i) => `hs-${String(Math.floor(i / PER_STATION)).padStart(4, '0')}.plc.p${String(i % PER_STATION).padStart(3, '0')}`);

function config(db: string): string {
  const pts = Array.from({ length: PER_STATION }, (_, i) => `      - { id: p${String(i).padStart(3, '0')}, table: holding, address: ${i * 2}, type: float32 }`).join('\n');
  const st = Array.from({ length: STATIONS }, (_, s) => `  - id: hs-${String(s).padStart(4, '0')}\n    devices: [ { id: plc, template: t, endpoint: "modbus+tcp://127.0.0.1:5020" } ]`).join('\n');
  return `storage:\n  series: { kind: sqlite, path: ${db} }\n  state: { kind: sqlite, path: ${join(dir, 'state.db')} }\ntemplates:\n  t:\n    protocol: modbus\n    points:\n${pts}\nstations:\n${st}\nauth:\n  tokens: [ { name: v, token: viewer-token-0123456789, role: viewer } ]\n`;
}

async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write('ts,point,value,quality\n');
  let n = 0;
  for (let t = 0; t < STEPS && n < SAMPLES; t++) {
    const ts = t0 + t * 10_000;
    const stamp = values.ts === 'iso' ? new Date(ts).toISOString() : String(ts);
    let text = '';
    for (let i = 0; i < POINTS && n < SAMPLES; i++, n++) text += `${stamp},${pointIds[i]},${(50 + ((i * 7 + t) % 400) / 8).toFixed(3)},good\n`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function run(args: string[]): Promise<{ code: number; out: string; wallS: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const p = spawn(process.execPath, ['src/bin/heatwatch.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code: code ?? -1, out, wallS: (performance.now() - start) / 1000 }));
  });
}

/** The store alone: the same samples in the same 50 k batches, no file, no parsing. */
function writeCeiling(samples: number): { wall: number; cpu: number } {
  const store = new SqliteSeriesStore({ path: join(dir, 'ceiling.db') });
  void store.init();
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  let batch: Sample[] = [];
  for (let t = 0; t < STEPS && n < samples; t++) {
    for (let i = 0; i < POINTS && n < samples; i++, n++) {
      batch.push({ point: pointIds[i], ts: t0 + t * 10_000, value: 50 + ((i * 7 + t) % 400) / 8, quality: 'good' });
      if (batch.length === 50_000) {
        store.writeSync(batch);
        batch = [];
      }
    }
  }
  if (batch.length) store.writeSync(batch);
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0).user / 1e6;
  void store.close();
  return { wall: n / s, cpu: n / cpu };
}

const c = cpus();
// the machine, as scripts/bench.ts prints it, so the figure can stand alone
console.log(`machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  const csv = join(dir, 'history.csv');
  const cfg = join(dir, 'heatwatch.yaml');
  writeFileSync(cfg, config(join(dir, 'series.db')));
  const g0 = performance.now();
  await writeCsv(csv);
  console.log(`generated ${SAMPLES} samples (${POINTS} points × ${STEPS} steps, ts ${values.ts}) in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${(statSync(csv).size / 2 ** 20).toFixed(0)} MiB`);
  const r = await run(['import', csv, '--config', cfg]);
  process.stdout.write(r.out);
  if (r.code !== 0) throw new Error(`import exited ${r.code}`);
  console.log(`import: ${(SAMPLES / r.wallS).toFixed(0)} samples/s wall including Node start-up (${r.wallS.toFixed(1)} s); load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (values.again) {
    const again = await run(['import', csv, '--config', cfg]);
    process.stdout.write(`again (idempotent, every sample already stored): ${again.out}`);
  }
  const ceiling = writeCeiling(Math.min(SAMPLES, 5_000_000));
  console.log(`store write ceiling: ${ceiling.wall.toFixed(0)} samples/s wall, ${ceiling.cpu.toFixed(0)} per CPU second (SqliteSeriesStore.writeSync, 50 k batches, no parsing)`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
