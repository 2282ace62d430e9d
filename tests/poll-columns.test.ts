import { describe, expect, it } from 'vitest';
import { MAX_FUTURE_MS, sampleProblem } from '../src/model.ts';
import { LayoutCache, POLL_BAD, POLL_FALSE, POLL_NUM, POLL_TRUE, pollSamples, storablePoll, type PollColumns } from '../src/poll-columns.ts';

const NOW = Date.UTC(2026, 11, 1);
const IDS = ['s.d.a', 's.d.b', 's.d.c', 's.d.e'];
const poll = (over: Partial<PollColumns> = {}): PollColumns => ({
  ids: IDS,
  station: 's',
  ts: NOW,
  vals: Float64Array.of(1.5, 0, 0, 7),
  tags: Uint8Array.of(POLL_NUM, POLL_TRUE, POLL_FALSE, POLL_BAD),
  ...over,
});

describe('poll columns', () => {
  it('make the samples a device would have sent', () => {
    expect(pollSamples(poll())).toEqual([
      { point: 's.d.a', ts: NOW, value: 1.5, quality: 'good' },
      { point: 's.d.b', ts: NOW, value: true, quality: 'good' },
      { point: 's.d.c', ts: NOW, value: false, quality: 'good' },
      { point: 's.d.e', ts: NOW, value: null, quality: 'bad' },
    ]);
  });

  it('make a tag that is none of theirs a bad read', () => {
    expect(pollSamples(poll({ tags: Uint8Array.of(POLL_NUM, 9, POLL_FALSE, POLL_BAD) }))[1]).toEqual({ point: 's.d.b', ts: NOW, value: null, quality: 'bad' });
  });

  it('storablePoll agrees with the sample rule on every row', () => {
    const cases: Array<[string, Partial<PollColumns>]> = [
      ['fine', {}],
      ['at the future limit', { ts: NOW + MAX_FUTURE_MS }],
      ['past the future limit', { ts: NOW + MAX_FUTURE_MS + 1 }],
      ['before 2000', { ts: Date.UTC(1999, 11, 31) }],
      ['a fractional ms', { ts: NOW + 0.5 }],
      ['NaN number', { vals: Float64Array.of(Number.NaN, 0, 0, 0) }],
      ['Infinity number', { vals: Float64Array.of(Number.POSITIVE_INFINITY, 0, 0, 0) }],
      ['NaN under a bad tag', { vals: Float64Array.of(1, 0, 0, Number.NaN) }],
      ['an unknown tag', { tags: Uint8Array.of(POLL_NUM, 9, POLL_FALSE, POLL_BAD) }],
    ];
    for (const [what, over] of cases) {
      const p = poll(over);
      const byRule = pollSamples(p).every((s) => sampleProblem(s, NOW) === null) && p.tags.every((t) => t <= POLL_BAD);
      expect(storablePoll(p, NOW), what).toBe(byRule);
    }
    expect(storablePoll(poll({ vals: new Float64Array(2) }), NOW)).toBe(false);
  });

  it('LayoutCache builds once per ids array, by identity', () => {
    let built = 0;
    const cache = new LayoutCache((ids) => (built++, ids.length));
    const same = [...IDS];
    expect(cache.of(IDS)).toBe(4);
    expect(cache.of(IDS)).toBe(4);
    expect(cache.of(same)).toBe(4);
    expect(built).toBe(2);
  });
});
