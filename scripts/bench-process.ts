// What a benchmark process measures of itself: CPU by thread, and a CPU profile of a window.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startCpuProfile } from '../src/cpu-profile.ts';

/** CPU seconds of this process's main thread (tid = pid) and of all its other threads (store worker, GC helpers, libuv) */
export function threadCpu(): { main: number; other: number; byName: Record<string, number> } {
  let main = 0;
  let other = 0;
  const byName: Record<string, number> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [head, rest] = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ');
      const f = rest.split(' ');
      const s = (Number(f[11]) + Number(f[12])) / 100;
      // thread names: `node` (main), `V8 DefaultWorke` (GC and compiler helpers), `libuv-worker`, a worker thread's own name
      const name = Number(tid) === process.pid ? 'main' : head.slice(head.indexOf('(') + 1);
      byName[name] = (byName[name] ?? 0) + s;
      if (Number(tid) === process.pid) main += s;
      else other += s;
    } catch {
      /* thread gone */
    }
  }
  return { main, other, byName };
}

/** Starts the inspector's sampling profiler on this thread; the returned function stops it and writes `file`. */
export async function startProfile(file: string): Promise<() => Promise<void>> {
  const stop = await startCpuProfile();
  return async () => writeFileSync(file, JSON.stringify(await stop()));
}
