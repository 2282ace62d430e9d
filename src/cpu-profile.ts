import { Session } from 'node:inspector/promises';

/**
 * Starts the inspector's sampling profiler (1 ms) on the calling thread: the main thread, or a
 * worker (the store worker profiles itself this way for `npm run bench`). The returned function
 * stops it and gives the profile (the `.cpuprofile` JSON that Chrome's DevTools opens).
 */
export async function startCpuProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}
