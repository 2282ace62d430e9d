/**
 * Operator actions on the runner's alarms: acknowledge (one, or every unacknowledged alarm
 * matching a filter), shelve, unshelve, out of service. Each answers an outcome with an HTTP-like
 * status instead of throwing, and changes nothing when it refuses. `within` (the API's audit row)
 * is written in the transaction that records the action's events, only when the action succeeds.
 * The state changes at once (before the first await); the promise settles when the action's
 * events are written, and rejects if they could not be.
 */
import type { Engine } from './engine.ts';
import { applyExternalAck } from './external.ts';
import type { AlarmRunner } from './runner.ts';
import type { EngineState } from './types.ts';
import { alarmView, listAlarms, type AlarmFilter, type AlarmView } from './views.ts';

export type ActionOutcome = { ok: true; alarm: AlarmView } | { ok: false; status: 400 | 404 | 409 | 503; error: string };
export type BulkAckOutcome = { ok: true; alarms: AlarmView[] } | { ok: false; status: 400; field: string; error: string };

export class RunnerActions {
  constructor(private readonly r: AlarmRunner) {}

  /**
   * While the state database cannot be reached an action is refused before it changes anything:
   * its audit row could not be written with it, and the operator must not see a change that is
   * not recorded.
   */
  private unavailable(): ActionOutcome | null {
    return this.r.writeStats().failing ? { ok: false, status: 503, error: 'the state database cannot be reached: nothing was changed; try again shortly' } : null;
  }

  private async act(id: string, fn: (state: EngineState) => ReturnType<Engine['ack']>, within?: () => unknown): Promise<ActionOutcome> {
    const r = this.r;
    const down = this.unavailable();
    if (down) return down;
    if (r.externals.has(id)) return { ok: false, status: 409, error: `${id}: this alarm is raised from outside and can only be acknowledged` };
    if (!r.index.has(id)) return { ok: false, status: 404, error: `alarm ${id} not found` };
    const res = fn(r.current());
    r.adoptState(res.state);
    if (!res.ok) return { ok: false, status: 409, error: res.error };
    r.queue(res.events);
    await r.flush(within, true);
    return { ok: true, alarm: alarmView(r, id)! };
  }

  async ack(id: string, user: string, comment: string | undefined, fromDevice = false, within?: () => unknown): Promise<ActionOutcome> {
    const r = this.r;
    const down = this.unavailable();
    if (down) return down;
    const x = r.externals.get(id);
    if (x) {
      const from = x.st;
      const t = applyExternalAck(x);
      if (t !== 'ack') return { ok: false, status: 409, error: `${id}: ${t}` };
      await r.external.emit(x, 'ack', from, user, comment, within, true);
      if (x.source === 'device' && !fromDevice) r.opts.onDeviceAck?.(x, user, comment);
      return { ok: true, alarm: alarmView(r, id)! };
    }
    return this.act(id, (s) => r.engine.ack(s, id, user, comment, r.now()), within);
  }

  /**
   * Acknowledges every unacknowledged annunciated alarm matching the filter (station, area,
   * class, priority), with one comment; each is its own event and audit row. Refused when the
   * filter is empty (that would acknowledge the whole city) or matches nothing.
   */
  async ackMatching(f: Pick<AlarmFilter, 'station' | 'area' | 'class' | 'priority'>, user: string, comment: string, within?: (alarmId: string) => unknown): Promise<BulkAckOutcome> {
    if (f.station === undefined && f.area === undefined && f.class === undefined && f.priority === undefined) {
      return { ok: false, status: 400, field: 'station', error: 'give at least one of station, area, class, priority' };
    }
    const targets = listAlarms(this.r, { ...f, state: 'active' }).filter((a) => a.state === 'unacked' || a.state === 'rtn_unacked');
    if (targets.length === 0) {
      const field = f.station !== undefined ? 'station' : f.area !== undefined ? 'area' : f.class !== undefined ? 'class' : 'priority';
      return { ok: false, status: 400, field, error: 'matches no unacknowledged alarm' };
    }
    // every acknowledgement applied before any write is awaited, so they are written together
    const outcomes = await Promise.all(targets.map((a) => this.ack(a.id, user, comment, false, within && (() => within(a.id)))));
    return { ok: true, alarms: outcomes.flatMap((o) => (o.ok ? [o.alarm] : [])) };
  }

  shelve(id: string, user: string, comment: string, minutes: number, within?: () => unknown): Promise<ActionOutcome> {
    return this.act(id, (s) => this.r.engine.shelve(s, id, user, comment, minutes, this.r.now()), within);
  }

  unshelve(id: string, user: string, comment: string | undefined, within?: () => unknown): Promise<ActionOutcome> {
    return this.act(id, (s) => this.r.engine.unshelve(s, id, user, comment, this.r.now()), within);
  }

  setOutOfService(id: string, user: string, comment: string, on: boolean, until?: number | null, within?: () => unknown): Promise<ActionOutcome> {
    return this.act(id, (s) => this.r.engine.setOutOfService(s, id, user, comment, on, this.r.now(), until), within);
  }
}
