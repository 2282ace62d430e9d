// The ticket timeline of one station for trend markers, read from a real state database the
// ticket service wrote: the station's tickets and the incidents naming it, only the entries that
// make markers, in the period asked, the newest kept past the limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ticketMarkers } from '../../../src/analytics/views/markers.ts';
import { ticketEvents } from '../../../src/analytics/views/ticket-events.ts';
import type { SqliteStateDb } from '../../../src/state/sqlite-db.ts';
import { openSqliteState, type SqliteState } from '../../helpers/sqlite-state.ts';
import { resolveTicketSettings } from '../../../src/tickets/config.ts';
import { TicketService } from '../../../src/tickets/service.ts';
import { Clock, ev, MIN, T0, TestAlarmSource, openTestState } from '../../tickets/helpers.ts';

const OP = { name: 'desk-1', role: 'operator' };
const STATIONS = Array.from({ length: 14 }, (_, i) => ({ id: `hs-${String(i + 1).padStart(3, '0')}`, area: 'nangang' }));

let dir: string;
let stateDb: SqliteStateDb;
let state: SqliteState;
let clock: Clock;
let svc: TicketService;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-markers-'));
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  clock = new Clock();
  svc = new TicketService({ db: stateDb, settings: resolveTicketSettings({}), stations: STATIONS, source: new TestAlarmSource(), now: clock.now });
  await svc.init();
});
afterEach(async () => {
  await svc.stop();
  await stateDb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ticket events of a station', () => {
  it("its tickets' creation and status changes, not the other stations' nor its notes", async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-001', ts: T0, priority: 1 })]);
    const own = (await svc.list({ station: 'hs-001' }))[0];
    await svc.handleAlarmEvents([ev({ station: 'hs-002', ts: T0, priority: 1 })]);
    clock.advance(5 * MIN);
    await svc.transition(own.id, { to: 'dispatched', assignee: '维修一班' }, OP);
    clock.advance(MIN);
    await svc.link(own.id, (await svc.list({ station: 'hs-002' }))[0].id, '同一管段', OP);
    clock.advance(MIN);
    await svc.transition(own.id, { to: 'in_progress' }, OP);

    const all = await ticketEvents(stateDb, { station: 'hs-001', from: T0, to: clock.t + 1, limit: 100 });
    expect(all.map((e) => [e.ts - T0, e.kind, e.toStatus, e.ticket])).toEqual([
      [0, 'created', 'open', own.id],
      [5 * MIN, 'transition', 'dispatched', own.id],
      [7 * MIN, 'transition', 'in_progress', own.id],
    ]);
    expect(all[0]).toMatchObject({ priority: 'P1', title: own.title });
    expect(ticketMarkers(all).map((m) => m.label)).toEqual([`#${own.id} 新建: ${own.title}`, `#${own.id} 已派单: ${own.title}`, `#${own.id} 处理中: ${own.title}`]);

    // the period is half-open and the limit keeps the newest
    expect((await ticketEvents(stateDb, { station: 'hs-001', from: T0 + 1, to: T0 + 7 * MIN, limit: 100 })).map((e) => e.toStatus)).toEqual(['dispatched']);
    expect((await ticketEvents(stateDb, { station: 'hs-001', from: T0, to: clock.t + 1, limit: 2 })).map((e) => e.toStatus)).toEqual(['dispatched', 'in_progress']);
    expect(await ticketEvents(stateDb, { station: 'hs-003', from: T0, to: clock.t + 1, limit: 100 })).toEqual([]);
  });

  it('an alarm storm: the incident naming the station is on its markers too', async () => {
    // 12 P2 alarms in one area within the storm window open one incident for all of them
    await svc.handleAlarmEvents(STATIONS.slice(0, 12).map((s, i) => ev({ station: s.id, ts: T0 + i * 1000, priority: 2, alarmId: `storm-${i}` })));
    await svc.tick(clock.advance(MIN));
    const incident = (await svc.list()).find((t) => t.kind === 'incident');
    expect(incident).toBeDefined();
    const events = await ticketEvents(stateDb, { station: 'hs-005', from: T0, to: clock.t + 1, limit: 100 });
    expect(events.map((e) => [e.ticket, e.kind])).toContainEqual([incident!.id, 'created']);
    expect(await ticketEvents(stateDb, { station: 'hs-014', from: T0, to: clock.t + 1, limit: 100 })).toEqual([]);
  });
});
