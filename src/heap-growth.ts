import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what its last full collection left, as a percentage of
 * that, before it collects again. V8's own choice goes up to 4× what is live: at 5,000 stations
 * the main heap held ~237 MB live in ~500 MB and the process's RSS was 1.22 GB, 0.96 GB right
 * after a full collection. At 30 % two such runs peaked at 987 and 971 MB, at the same CPU
 * within this machine's noise (most of what lives on the heap is typed arrays and the ids'
 * strings, cheap to mark); 20 minutes with a compaction pass peaked at 1,060 MB. (Measured
 * with `npm run bench -- --only sqlite --stations 5000 --after-analytics`; README, "Every
 * case".)
 */
export const HEAP_GROWING_PERCENT = 30;

/**
 * Sets {@link HEAP_GROWING_PERCENT} for the whole process (every thread's heap) unless node
 * was started with its own `--heap-growing-percent`. For the long-running commands, before
 * they build anything; V8 reads the flag at each collection.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent'))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
