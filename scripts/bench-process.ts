// What a benchmark process measures of itself: CPU by thread, and a CPU profile of a window.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** CPU seconds of this process's main thread (tid = pid) and of all its other threads (store worker, GC helpers, libuv) */
export function threadCpu(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      const s = (Number(f[11]) + Number(f[12])) / 100;
      if (Number(tid) === process.pid) main += s;
      else other += s;
    } catch {
      /* thread gone */
    }
  }
  return { main, other };
}

/** Starts the inspector's sampling profiler (1 ms); the returned function stops it and writes `file`. */
export async function startProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
