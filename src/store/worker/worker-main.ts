/**
 * The worker thread's side of {@link WorkerSeriesStore}: builds the store named by `workerData`
 * and answers one request at a time, in arrival order (so writes commit in the order they were
 * sent and a query sees every write sent before it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteSeriesStore } from '../sqlite-series.ts';
import type { SeriesJson } from '../port.ts';
import { mirror } from './pack.ts';
import { TableSlots } from '../sqlite/write.ts';
import { startCpuProfile } from '../../cpu-profile.ts';
import type { Envelope, Reply, ScanStep, WireError, WorkerStoreSpec } from './protocol.ts';

const spec = workerData as WorkerStoreSpec;
const port = parentPort!;

function build(s: WorkerStoreSpec): SqliteSeriesStore {
  switch (s.kind) {
    case 'sqlite':
      return new SqliteSeriesStore(s.options);
  }
}

const store = build(spec);
/** per main-thread point table: its ids by index, as sent (pack.ts) */
const mirrors = new Map<number, string[]>();
/** per main-thread point table: the series slot of each of its ids, once looked up */
const tableSlots = new Map<number, TableSlots>();
const slotsOf = (table: number): TableSlots => {
  let s = tableSlots.get(table);
  if (!s) tableSlots.set(table, (s = new TableSlots()));
  return s;
};
let stopProfile: (() => Promise<object>) | null = null;
const scans = new Map<number, AsyncIterator<import('../../model.ts').Sample[]>>();
let nextScan = 1;

async function handle(m: Envelope): Promise<unknown> {
  switch (m.op) {
    case 'init':
      return store.init();
    case 'write':
      // columns are written as columns: no Sample object per row on this thread either
      // the answer: the head's start after the write (headFrom, for the compaction-lag gauge)
      if ('plain' in m.batch) await store.write(m.batch.plain);
      else store.writeColumnsSync(m.batch, mirror(m.batch, mirrors), slotsOf(m.batch.table), m.behind);
      return store.headFrom();
    case 'beginHistory':
      return store.beginHistory();
    case 'writeHistory':
      return store.writeHistorySync(m.batch, mirror(m.batch, mirrors), m.horizon);
    case 'endHistory':
      return store.endHistory(m.commit);
    case 'latest':
      return [...(await store.latest(m.points)).values()];
    case 'query':
      // typed columns cross threads as one copy each; [ts, value] pairs would be cloned one by one
      return store.queryValues(m.q);
    case 'queryJson':
      // the JSON is written here, off the event loop that polls; its bytes are transferred (see below)
      return store.queryJson(m.q);
    case 'applyRetention':
      return store.applyRetention(m.now);
    case 'heap': {
      if (m.gc) (globalThis as { gc?: () => void }).gc?.();
      const { heapUsed, heapTotal } = process.memoryUsage();
      return { used: heapUsed, total: heapTotal };
    }
    case 'profile': {
      if (m.start) {
        stopProfile ??= await startCpuProfile();
        return null;
      }
      const stop = stopProfile;
      stopProfile = null;
      return stop ? await stop() : null;
    }
    case 'scanOpen': {
      if (!store.scan) throw new Error(`${spec.kind} store has no scan`);
      const id = nextScan++;
      scans.set(id, store.scan(m.from, m.to)[Symbol.asyncIterator]());
      return id;
    }
    case 'scanNext': {
      const it = scans.get(m.scan);
      if (!it) return { done: true } satisfies ScanStep;
      const r = await it.next();
      if (r.done) scans.delete(m.scan);
      return (r.done ? { done: true } : { done: false, samples: r.value }) satisfies ScanStep;
    }
    case 'scanClose': {
      const it = scans.get(m.scan);
      scans.delete(m.scan);
      await it?.return?.();
      return undefined;
    }
    case 'close':
      for (const it of scans.values()) await it.return?.();
      scans.clear();
      return store.close();
  }
}

function wireError(err: unknown): WireError {
  const e = err as { name?: string; message?: string; code?: unknown; stack?: string };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  };
}

// one at a time: a request starts when the previous one has settled
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: Envelope) => {
  chain = chain.then(async () => {
    let reply: Reply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result = await handle(m);
      reply = { id: m.id, ok: true, result };
      // each series' JSON has an ArrayBuffer of its own (series-json.ts): given away, not cloned
      if (m.op === 'queryJson') transfer = (result as SeriesJson[]).map((s) => s.points.buffer as ArrayBuffer);
    } catch (err) {
      reply = { id: m.id, ok: false, error: wireError(err) };
    }
    port.postMessage(reply, transfer);
  });
});
