// Acceptance: a service polls simulated stations for a while; `heatwatch export` of its store
// and `heatwatch import` into a fresh one give the same series, sample for sample, and the same
// raw counts per point.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Sample } from '../../src/model.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { startSimService, type SimService } from '../helpers/sim-service.ts';
import { waitFor } from '../helpers/wait.ts';

const heatwatch = (...args: string[]) => spawnSync(process.execPath, ['src/bin/heatwatch.js', ...args], { encoding: 'utf8', timeout: 120_000 });

async function scanAll(db: string, from: number, to: number): Promise<{ samples: Sample[]; counts: Array<number | null> }> {
  const store = new SqliteSeriesStore({ path: db });
  await store.init();
  try {
    const samples: Sample[] = [];
    for await (const b of store.scan(from, to)) samples.push(...b);
    const points = [...new Set(samples.map((s) => s.point))].sort();
    const res = await store.query({ points, from, to, stepMs: to - from, agg: 'count' });
    return { samples, counts: res.map((r) => r.points.reduce((n, p) => n + (p[1] ?? 0), 0)) };
  } finally {
    await store.close();
  }
}

describe('export from a polling service, import into a fresh store', { timeout: 240_000 }, () => {
  let s: SimService;
  const from = Date.now() - 60_000;

  beforeAll(async () => {
    s = await startSimService({ sim: { stations: 3 }, pollMs: 500, name: 'import-roundtrip' });
    const svc = s.svc;
    // several polls of every point: some thousands of samples
    await waitFor(() => svc.pipeline.stats().stored > 3000, 60_000, 'samples stored');
    await svc.stop(); // the store closed, so the CLI reads a finished file
  });
  afterAll(() => s?.stop());

  it('the same samples and raw counts per point', async () => {
    const doc = parse(s.sim.configYaml({ pollMs: 500 }));
    const config = (name: string, db: string) => {
      doc.storage = { series: { kind: 'sqlite', path: db }, state: { kind: 'sqlite', path: join(s.dir, `${name}-state.db`) } };
      const file = join(s.dir, `${name}.yaml`);
      writeFileSync(file, stringify(doc));
      return file;
    };
    const source = config('source', join(s.dir, 'series.db'));
    const fresh = config('fresh', join(s.dir, 'fresh.db'));
    const to = Date.now() + 60_000;
    const out = join(s.dir, 'export.csv');

    const ex = heatwatch('export', '--config', source, '--from', String(from), '--to', String(to), '--out', out);
    expect(ex.status, ex.stderr).toBe(0);
    const im = heatwatch('import', out, '--config', fresh);
    expect(im.status, im.stderr).toBe(0);

    const a = await scanAll(join(s.dir, 'series.db'), from, to);
    const b = await scanAll(join(s.dir, 'fresh.db'), from, to);
    expect(a.samples.length).toBeGreaterThan(3000);
    expect(ex.stderr).toContain(`exported ${a.samples.length} samples`);
    expect(im.stdout).toContain(`imported ${a.samples.length} samples`);
    // digital points come back as booleans
    expect(a.samples.some((x) => typeof x.value === 'boolean')).toBe(true);
    expect(b.samples).toEqual(a.samples);
    expect(b.counts).toEqual(a.counts);
  });
});
