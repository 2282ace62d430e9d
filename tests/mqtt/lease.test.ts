import { describe, expect, it } from 'vitest';
import { LEASE_DEFAULTS, LeaseMachine, parseLease, type LeaseMessage } from '../../src/bus/lease.ts';
import { mulberry32 } from '../../simulators/random.ts';

const T = LEASE_DEFAULTS;
/** what the collector's client sets: the broker sends the will after 1.5 × keepalive of silence */
const WILL_AFTER_MS = 1.5 * Math.max(1, Math.round(T.lostAfterMs / 3000)) * 1000;
const STEP = 50;

interface Node {
  m: LeaseMachine;
  /** cut off from the broker without either side closing the connection (a black hole) */
  cut: boolean;
  dead: boolean;
  /** when the broker last heard from it */
  heardAt: number;
  polling: boolean;
  /** [start, end) of each polling interval */
  spans: Array<[number, number]>;
}

/**
 * A broker as the lease sees one: one topic, messages handed to every connected subscriber in
 * one order (the sender included), a retained message, and a will sent after silence.
 */
class Net {
  now = 0;
  retained: LeaseMessage | null = null;
  readonly nodes: Node[] = [];
  private queue: LeaseMessage[] = [];

  add(id: string): Node {
    const n: Node = { m: new LeaseMachine(id, T, this.now), cut: false, dead: false, heardAt: this.now, polling: false, spans: [] };
    this.nodes.push(n);
    this.run(n, n.m.connection(true, this.now));
    if (this.retained) this.run(n, n.m.message(this.retained, this.now));
    return n;
  }

  /** `a` holds the lease and polls; `b` has stood by beside it for 5 s. */
  holderAndStandby(): [Node, Node] {
    const a = this.add('a');
    this.until(() => a.polling, 2000);
    const b = this.add('b');
    for (let i = 0; i < 100; i++) this.step();
    return [a, b];
  }

  /** A cut node is connected again and gets the retained message, as a reconnecting client does. */
  heal(n: Node): void {
    n.cut = false;
    n.heardAt = this.now;
    this.run(n, n.m.connection(true, this.now));
    if (this.retained) this.run(n, n.m.message(this.retained, this.now));
  }

  kill(n: Node): void {
    // a killed process's socket is closed by its kernel: the broker sends the will at once
    n.dead = true;
    this.end(n);
    this.queue.push({ holder: n.m.self, state: 'released', ts: this.now });
  }

  step(): void {
    this.now += STEP;
    for (const n of this.nodes) {
      if (n.dead) continue;
      if (n.cut && this.now - n.heardAt >= WILL_AFTER_MS && n.heardAt >= 0) {
        this.queue.push({ holder: n.m.self, state: 'released', ts: this.now });
        n.heardAt = -Infinity; // one will per connection
      }
      this.run(n, n.m.tick(this.now));
    }
    const q = this.queue;
    this.queue = [];
    for (const msg of q) for (const n of this.nodes) if (!n.dead && !n.cut) this.run(n, n.m.message(msg, this.now));
  }

  until(cond: () => boolean, maxMs: number): number {
    const start = this.now;
    while (!cond()) {
      if (this.now - start > maxMs) throw new Error(`not within ${maxMs} ms`);
      this.step();
    }
    return this.now - start;
  }

  pollers(): Node[] {
    return this.nodes.filter((n) => n.polling);
  }

  /** the longest time two nodes polled at once */
  maxOverlap(): number {
    const spans = this.nodes.map((n) => n.spans.map(([s0, s1]) => [s0, Math.min(s1, this.now)] as const));
    let worst = 0;
    for (let i = 0; i < spans.length; i++)
      for (let j = i + 1; j < spans.length; j++)
        for (const [a0, a1] of spans[i]) for (const [b0, b1] of spans[j]) worst = Math.max(worst, Math.min(a1, b1) - Math.max(a0, b0));
    return worst;
  }

  private run(n: Node, actions: ReturnType<LeaseMachine['tick']>): void {
    for (const a of actions) {
      if (a.kind === 'poll') {
        n.polling = true;
        n.spans.push([this.now, Infinity]);
      } else if (a.kind === 'stop-polling') this.end(n);
      else if (!n.cut && !n.dead) {
        n.heardAt = this.now;
        if (a.retain) this.retained = a.message;
        this.queue.push(a.message);
      }
    }
  }

  private end(n: Node): void {
    if (!n.polling) return;
    n.polling = false;
    n.spans[n.spans.length - 1][1] = this.now;
  }
}

describe('collector lease', () => {
  it('two collectors started together: exactly one polls, and keeps polling', () => {
    const net = new Net();
    const [a, b] = [net.add('a'), net.add('b')];
    net.until(() => net.pollers().length === 1, T.settleMs + 1000);
    for (let i = 0; i < 600; i++) net.step();
    expect(net.pollers()).toHaveLength(1);
    expect(a.spans.length + b.spans.length).toBe(1);
    expect(net.maxOverlap()).toBe(0);
  });

  it('a collector started beside a live holder stays standby (the retained heartbeat tells it)', () => {
    const net = new Net();
    const a = net.add('a');
    net.until(() => a.polling, 2000);
    for (let i = 0; i < 100; i++) net.step();
    const b = net.add('b');
    for (let i = 0; i < 600; i++) net.step();
    expect(b.spans).toHaveLength(0);
    expect(a.polling).toBe(true);
  });

  it('the holder killed: its standby polls within a second and a half (the will frees the lease at once)', () => {
    const net = new Net();
    const [a, b] = net.holderAndStandby();
    net.kill(a);
    expect(net.until(() => b.polling, 15_000)).toBeLessThanOrEqual(1500);
  });

  it('the holder cut off without a word: it stops polling before the standby starts, which is within 15 s', () => {
    const net = new Net();
    const [a, b] = net.holderAndStandby();
    a.cut = true;
    const took = net.until(() => b.polling, 15_000);
    expect(took).toBeLessThanOrEqual(15_000);
    expect(a.polling).toBe(false);
    expect(net.maxOverlap()).toBe(0);
    // the cut heals: the old holder hears the new one and stays standby
    net.heal(a);
    for (let i = 0; i < 600; i++) net.step();
    expect(net.pollers().map((n) => n.m.self)).toEqual(['b']);
  });

  it('a clean stop hands over at once', () => {
    const net = new Net();
    const [a, b] = net.holderAndStandby();
    const actions = a.m.release(net.now);
    expect(actions.map((x) => x.kind)).toEqual(['stop-polling', 'publish']);
    a.polling = false;
    a.spans[0][1] = net.now;
    net.retained = (actions[1] as { message: LeaseMessage }).message;
    for (const n of net.nodes) n.m.message(net.retained, net.now);
    a.dead = true;
    expect(net.until(() => b.polling, 15_000)).toBeLessThanOrEqual(500);
  });

  it('two holders that hear each other (a healed split): the larger id yields', () => {
    const m = new LeaseMachine('b', T, 0);
    m.connection(true, 0);
    m.tick(T.settleMs);
    expect(m.message({ holder: 'b', state: 'claim', ts: 0 }, T.settleMs).map((x) => x.kind)).toEqual(['poll', 'publish']);
    expect(m.message({ holder: 'c', state: 'active', ts: 0 }, T.settleMs + 10)).toEqual([]);
    expect(m.message({ holder: 'a', state: 'active', ts: 0 }, T.settleMs + 20).map((x) => x.kind)).toEqual(['stop-polling']);
    expect(m.role).toBe('standby');
  });

  it('a flapping network never has both polling at once for longer than one heartbeat; once it settles, one polls within 15 s', () => {
    const rnd = mulberry32(7);
    const net = new Net();
    const [a, b] = [net.add('a'), net.add('b')];
    for (let round = 0; round < 200; round++) {
      const n = rnd() < 0.5 ? a : b;
      if (rnd() < 0.4) n.cut = true;
      else if (n.cut) net.heal(n);
      const steps = Math.floor(rnd() * 300);
      for (let i = 0; i < steps; i++) net.step();
    }
    expect(net.maxOverlap()).toBeLessThanOrEqual(T.heartbeatMs);
    expect(a.spans.length + b.spans.length).toBeGreaterThan(10);
    for (const n of [a, b]) if (n.cut) net.heal(n);
    net.until(() => net.pollers().length === 1, 15_000);
    for (let i = 0; i < 600; i++) net.step();
    expect(net.pollers()).toHaveLength(1);
  });

  it('reads only well-formed lease messages', () => {
    expect(parseLease('{"holder":"a","state":"active","ts":5}')).toEqual({ holder: 'a', state: 'active', ts: 5 });
    expect(parseLease('{"holder":"a","state":"mine"}')).toBeNull();
    expect(parseLease('{"state":"active"}')).toBeNull();
    expect(parseLease('not json')).toBeNull();
    expect(() => new LeaseMachine('a', { heartbeatMs: 2000, lostAfterMs: 4000, settleMs: 0 }, 0)).toThrow(/3 × heartbeatMs/);
  });
});
