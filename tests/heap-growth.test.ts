// The long-running commands cap how far V8 grows the heap past what is live (src/heap-growth.ts).
// A child process per case: the flag is process-wide. The comparison is with a fixed growing
// percent given to node (300: V8's largest own factor, 4×), because V8's own choice depends on
// how fast the machine collects and so on the load. Both run with --single-threaded-gc and
// --no-memory-reducer: with concurrent marking, and with the memory reducer's timers, how far
// the heap grew before a collection depended on what else the machine ran (the 4× case peaked
// anywhere from 123 to 281 MB).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const child = (nodeArgs: string[]): { limited: boolean; peakMB: number } =>
  JSON.parse(execFileSync(process.execPath, ['--single-threaded-gc', '--no-memory-reducer', ...nodeArgs, '--import', 'tsx', 'tests/fixtures/heap-growth-child.ts'], { encoding: 'utf8' })) as { limited: boolean; peakMB: number };

describe('limitHeapGrowth', () => {
  it('keeps the heap V8 reserves for a live set and its garbage well below a 4× growth; a --heap-growing-percent given to node wins', () => {
    const ours = child([]);
    const given = child(['--heap-growing-percent=300']);
    expect(ours.limited).toBe(true);
    expect(given.limited).toBe(false);
    expect(ours.peakMB).toBeLessThan(given.peakMB * 0.7);
  }, 60_000);
});
