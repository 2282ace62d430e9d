/**
 * A device poll pushed as columns (`pushPoll`) must be ingested exactly as its samples would be:
 * the same sample rule and counters, latest values, listener input and stored rows, with no
 * Sample object unless a listener asks for samples.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IngestPipeline, type PipelineOptions } from '../../src/ingest/pipeline.ts';
import type { Sample } from '../../src/model.ts';
import { POLL_BAD, POLL_FALSE, POLL_NUM, POLL_TRUE, pollSamples, type PollColumns } from '../../src/poll-columns.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';

const T0 = Date.UTC(2024, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'hw-ingest-poll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let n = 0;
async function setup(opts: Partial<PipelineOptions> = {}) {
  const store = new SqliteSeriesStore({ path: join(dir, `p${n++}.db`) });
  await store.init();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const pipeline = new IngestPipeline({ store, batchSize: 50, maxDelayMs: 60_000, queueLimit: 100_000, logger, now: () => T0 + 3600_000, ...opts });
  cleanup.push(async () => {
    await pipeline.stop();
    await store.close();
  });
  return { store, pipeline, logs };
}

const IDS = ['hs-1.plc.t_supply', 'hs-1.plc.p_supply', 'hs-1.plc.pump_run', 'hs-1.plc.door', 'hs-1.plc.flow'];

/** Poll k of hs-1.plc: numbers, both booleans, and a bad read that moves from point to point. */
function pollOf(k: number, ids: readonly string[] = IDS, ts = T0 + k * 10_000): PollColumns {
  const vals = Float64Array.of(60 + k, 0.4 + k / 100, 0, 0, 30 - k);
  const tags = Uint8Array.of(POLL_NUM, POLL_NUM, k % 2 ? POLL_TRUE : POLL_FALSE, POLL_FALSE, POLL_NUM);
  tags[k % 5] = POLL_BAD;
  return { ids, station: 'hs-1', ts, vals, tags };
}

async function stored(store: SqliteSeriesStore): Promise<Array<[string, Array<[number, number | null]>]>> {
  const out: Array<[string, Array<[number, number | null]>]> = [];
  for (const id of IDS) {
    const [r] = await store.query({ points: [id], from: T0, to: T0 + 3600_000, stepMs: 1000, agg: 'last' });
    out.push([id, r.points.filter(([, v]) => v !== null)]);
  }
  return out;
}

describe('IngestPipeline.pushPoll', () => {
  it('stores, keeps and hands on a poll as its samples would be, copying the device’s reused arrays', async () => {
    const bySamples = await setup();
    const byPoll = await setup();
    const seenA: Sample[][] = [];
    const seenB: Sample[][] = [];
    const polls: number[] = [];
    bySamples.pipeline.onSamples((b) => seenA.push(b));
    byPoll.pipeline.onSamples((b) => seenB.push(b));
    // a listener that takes columns gets them from the second poll on (the first checks the layout's ids)
    let viaSamples = 0;
    byPoll.pipeline.onSamples({ samples: () => viaSamples++, poll: (p) => polls.push(p.ts) });
    const vals = new Float64Array(5);
    const tags = new Uint8Array(5);
    for (let k = 0; k < 12; k++) {
      const p = pollOf(k);
      bySamples.pipeline.push(pollSamples(p));
      // the device's own arrays, overwritten after each poll as a device does
      vals.set(p.vals);
      tags.set(p.tags);
      byPoll.pipeline.pushPoll({ ...p, vals, tags });
      vals.fill(-1);
      tags.fill(POLL_NUM);
    }
    expect(viaSamples).toBe(1);
    expect(polls).toHaveLength(11);
    expect(seenB).toEqual(seenA);
    for (const id of IDS) expect(byPoll.pipeline.latest.get(id)).toEqual(bySamples.pipeline.latest.get(id));
    expect(byPoll.pipeline.latest.get('hs-1.plc.pump_run')).toEqual({ point: 'hs-1.plc.pump_run', ts: T0 + 110_000, value: true, quality: 'good' });
    expect(byPoll.pipeline.latest.get('hs-1.plc.t_supply')).toEqual({ point: 'hs-1.plc.t_supply', ts: T0 + 110_000, value: 71, quality: 'good' });
    const { received, queueDepth } = bySamples.pipeline.stats();
    expect(byPoll.pipeline.stats()).toMatchObject({ received, queueDepth, rejected: 0, dropped: 0 });
    await bySamples.pipeline.flush();
    await byPoll.pipeline.flush();
    const want = await stored(bySamples.store);
    expect(want.flatMap(([, rows]) => rows)).toHaveLength(12 * 5 - 12 * 1 + 0); // bad reads are stored as null: not in `last` figures
    expect(await stored(byPoll.store)).toEqual(want);
    expect(byPoll.pipeline.stats().stored).toBe(60);
  });

  it('refuses a poll dated too far ahead by the sample rule, and a non-finite number in it row by row', async () => {
    const { pipeline, store, logs } = await setup();
    pipeline.pushPoll(pollOf(1));
    pipeline.pushPoll(pollOf(2, IDS, T0 + 3600_000 + 5 * 60_000 + 1));
    const nan = pollOf(3);
    nan.vals[4] = Number.NaN;
    pipeline.pushPoll(nan);
    expect(pipeline.stats()).toMatchObject({ received: 15, rejected: 6, dropped: 6, rejectedBy: { future: 5, malformed: 1, too_old: 0 } });
    expect(logs.filter((l) => String(l.msg).startsWith('ingest refused a sample')).map((l) => l.device)).toEqual(['hs-1.plc']);
    await pipeline.flush();
    const [r] = await store.query({ points: ['hs-1.plc.flow'], from: T0, to: T0 + 7200_000, stepMs: 1000, agg: 'last' });
    expect(r.points.filter(([, v]) => v !== null)).toEqual([[T0 + 10_000, 29]]);
  });

  it('counts a poll pushed after stop as dropped', async () => {
    const { pipeline } = await setup();
    pipeline.pushPoll(pollOf(0));
    pipeline.pushPoll(pollOf(1));
    await pipeline.stop();
    pipeline.pushPoll(pollOf(2));
    expect(pipeline.stats()).toMatchObject({ received: 10, stored: 10, dropped: 5 });
  });
});
