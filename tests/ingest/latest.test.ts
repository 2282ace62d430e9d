import { describe, expect, it } from 'vitest';
import { PointTable } from '../../src/ingest/columns.ts';
import { LatestValues } from '../../src/ingest/latest.ts';
import type { Sample } from '../../src/model.ts';

describe('LatestValues', () => {
  it('gives back the newest sample of each point with its type and quality', () => {
    const l = new LatestValues();
    const samples: Sample[] = [
      { point: 'a.b.t', ts: 10, value: 71.5, quality: 'good' },
      { point: 'a.b.run', ts: 10, value: true, quality: 'good' },
      { point: 'a.b.stop', ts: 10, value: false, quality: 'uncertain' },
      { point: 'a.b.t', ts: 20, value: null, quality: 'bad' },
      { point: 'a.b.run', ts: 5, value: false, quality: 'good' }, // older: ignored
    ];
    for (const s of samples) l.set(s);
    expect(l.get('a.b.t')).toEqual({ point: 'a.b.t', ts: 20, value: null, quality: 'bad' });
    expect(l.get('a.b.run')).toEqual({ point: 'a.b.run', ts: 10, value: true, quality: 'good' });
    expect(l.get('a.b.stop')).toEqual({ point: 'a.b.stop', ts: 10, value: false, quality: 'uncertain' });
    expect(l.get('a.b.none')).toBeUndefined();
    expect(l.size).toBe(3);
  });

  it('grows past its initial capacity without losing values', () => {
    const l = new LatestValues();
    for (let i = 0; i < 5000; i++) l.set({ point: `s.d.p${i}`, ts: i, value: i * 0.5, quality: 'good' });
    expect(l.size).toBe(5000);
    expect(l.get('s.d.p0')?.value).toBe(0);
    expect(l.get('s.d.p4999')).toEqual({ point: 's.d.p4999', ts: 4999, value: 2499.5, quality: 'good' });
  });

  it('shares a point table: ids another user added first (beyond its columns) are held once set, and only then', () => {
    const table = new PointTable();
    for (let i = 0; i < 3000; i++) table.indexOf(`s.d.q${i}`);
    const l = new LatestValues(table);
    expect(l.get('s.d.q2999')).toBeUndefined();
    expect(l.size).toBe(0);
    l.set({ point: 's.d.q2999', ts: 7, value: 1.25, quality: 'good' });
    l.set({ point: 's.d.new', ts: 8, value: true, quality: 'good' });
    expect(l.get('s.d.q2999')).toEqual({ point: 's.d.q2999', ts: 7, value: 1.25, quality: 'good' });
    expect(l.get('s.d.q0')).toBeUndefined();
    expect(l.get('s.d.new')?.value).toBe(true);
    expect(table.find('s.d.new')).toBe(3000);
    expect(l.size).toBe(2);
  });
});
