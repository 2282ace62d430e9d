import { describe, expect, it } from 'vitest';
import { isStateUnavailable } from '../../src/state/errors.ts';

describe('isStateUnavailable', () => {
  it('knows lost connections and server shutdowns, not query errors', () => {
    expect(isStateUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isStateUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isStateUnavailable(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true);
    expect(isStateUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isStateUnavailable(new Error('wrapped', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) }))).toBe(true);
    expect(isStateUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isStateUnavailable(new Error('ticket 7: not found'))).toBe(false);
    expect(isStateUnavailable(undefined)).toBe(false);
  });
});
