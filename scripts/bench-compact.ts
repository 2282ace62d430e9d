/**
 * The CPU of one compaction pass of the SQLite series store, alone: a head of `--stations`
 * stations × 122 points every 10 s over `--minutes` minutes of an hour is written once with
 * compaction off, then each variant compacts its own copy of that file (what a due pass takes:
 * the whole minutes up to 5 minutes before the newest sample), alternating, `--rounds` times.
 *   node --import tsx scripts/bench-compact.ts [--stations 1000] [--minutes 36] [--batches 400,4096] [--rounds 2]
 * Values are synthetic (random walks at two decimals, counters, 0/1 states): the codec's share
 * differs from the simulator's data, SQLite's does not.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Sample } from '../src/model.ts';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';
import { mulberry32 } from '../simulators/random.ts';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '36' },
    batches: { type: 'string', default: '400,4096' },
    rounds: { type: 'string', default: '2' },
  },
});
const STATIONS = Number(values.stations);
const MINUTES = Number(values.minutes);
const POINTS = 122;
const PERIOD = 10_000;
const HOUR0 = Date.UTC(2026, 0, 12, 2);
const batches = values.batches.split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'hw-bench-compact-'));
const base = join(dir, 'base.db');
try {
  const writer = new SqliteSeriesStore({ path: base, autoCompact: false });
  await writer.init();
  const rnd = mulberry32(3);
  const level = Float64Array.from({ length: STATIONS * POINTS }, () => Math.round(rnd() * 10_000) / 100);
  const ids = Array.from({ length: STATIONS }, (_, s) => Array.from({ length: POINTS }, (_, i) => `hs-${String(s).padStart(4, '0')}.plc.p${i}`));
  let batch: Sample[] = [];
  let n = 0;
  for (let t = HOUR0; t < HOUR0 + MINUTES * 60_000; t += PERIOD) {
    for (let s = 0; s < STATIONS; s++) {
      const ts = t + Math.floor((s * PERIOD) / STATIONS) + Math.floor(rnd() * 6);
      for (let i = 0; i < POINTS; i++) {
        const k = s * POINTS + i;
        // a third states (0/1), a third counters, a third measurements
        if (i % 3 === 0) level[k] = rnd() < 0.01 ? 1 - Math.round(level[k] % 2) : Math.round(level[k] % 2);
        else if (i % 3 === 1) level[k] += Math.floor(rnd() * 4);
        else level[k] = Math.round((level[k] + (rnd() - 0.5)) * 100) / 100;
        batch.push({ point: ids[s][i], ts, value: level[k], quality: 'good' });
      }
      if (batch.length >= 5000) {
        writer.writeSync(batch);
        n += batch.length;
        batch = [];
      }
    }
  }
  writer.writeSync(batch);
  n += batch.length;
  await writer.close();
  console.log(`== compaction pass: ${STATIONS} stations × ${POINTS} points × ${MINUTES} min at 10 s = ${n.toLocaleString('en')} samples in the head (${(statSync(base).size / 2 ** 20).toFixed(0)} MiB)`);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const b of batches) {
      const path = join(dir, `c${b}.db`);
      copyFileSync(base, path);
      for (const ext of ['-wal', '-shm']) if (existsSync(path + ext)) rmSync(path + ext);
      const store = new SqliteSeriesStore({ path, compactBatch: b });
      await store.init();
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      const { steps, samples } = store.compact();
      const u = process.cpuUsage(u0);
      const wall = performance.now() - t0;
      await store.close();
      const cpuS = (u.user + u.system) / 1e6;
      console.log(
        `  batch ${b}: ${steps} steps, ${samples.toLocaleString('en')} samples, CPU ${cpuS.toFixed(1)} s (user ${(u.user / 1e6).toFixed(1)}, system ${(u.system / 1e6).toFixed(1)}), wall ${(wall / 1000).toFixed(1)} s, ${((cpuS / samples) * 1e9).toFixed(0)} ns/sample, ${((wall / steps)).toFixed(0)} ms/step`,
      );
      rmSync(path, { force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
