// The ticket-change hook writes notification rows in the ticket change's own transaction: they
// exist exactly when the change does. SQLite in a temporary folder; the dispatcher is not
// started, so rows stay queued and nothing is sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { NotifyService } from '../../src/notify/service.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openTestState } from '../tickets/helpers.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { HOUR, T0 } from './fixtures.ts';

const YAML = `
stations:
  - { id: hs-001, name: 南岗1号站, area: 南岗区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
  - { id: hs-009, name: 松北1号站, area: 松北区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
notify:
  teams: [ { id: south, name: 南岗维修班, areas: [南岗区] } ]
  channels:
    - { name: ops, kind: wecom, url: "http://127.0.0.1:9/robot?key=k" }
    - { name: mail, kind: email }
  smtp: { host: 127.0.0.1, port: 9, from: noc@heat.example }
`;

let dir: string;
let stateDb: SqliteStateDb;
let state: SqliteState;
let tickets: TicketService;
let notify: NotifyService;
let now = T0;
const desk = { name: 'desk-1', role: 'operator' };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-notify-hook-'));
  const cfg = parseConfigText(YAML, 'test');
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  notify = new NotifyService({ db: stateDb, settings: cfg.notify, stations: cfg.stations, timeZone: 'Asia/Shanghai', now: () => now, audit: (e) => state.audit(e) });
  await notify.init();
  tickets = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, timezone: 'Asia/Shanghai', now: () => now, onChange: notify.onChange, receivers: notify.receivers });
  await tickets.init();
  await notify.putRoster({ entries: [{ team: 'south', level: 1, name: '张三', mobile: '13800138000', email: 'zhang@heat.example' }, { team: 'south', level: 1, name: '周九', email: 'zhou@heat.example' }] }, { name: 'lead-1', role: 'supervisor' });
});
afterEach(async () => {
  await tickets.stop();
  await stateDb.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => state.db.prepare("SELECT receiver, event_id FROM tk_outbox WHERE type = 'notify' ORDER BY id").all() as Array<{ receiver: string; event_id: string }>;
const p1 = async (station: string) => (await tickets.createTicket({ source: 'manual', priority: 'P1', station, title: '水浸', description: '水浸' }, desk)).ticket;

describe('notification rows and the ticket change', () => {
  it('a committed P1 change: one robot row for the group, one email row per person with an address', async () => {
    const t = await p1('hs-001');
    expect(rows().map((r) => r.receiver)).toEqual(['ops', 'mail', 'mail']);
    expect(rows()[0].event_id).toMatch(new RegExp(`^${t.id}:\\d+:p1_open:ops$`));
    const listed = await notify.notifications({ limit: 10, ticket: t.id });
    expect(listed.map((n) => [n.channel, n.state, n.to, n.recipients])).toEqual([
      ['mail', 'queued', 'zhou@heat.example', ['张三', '周九']],
      ['mail', 'queued', 'zhang@heat.example', ['张三', '周九']],
      ['ops', 'queued', null, ['张三', '周九']],
    ]);
  });

  it('a change rolled back leaves no notification row behind', async () => {
    await expect(
      stateDb.tx(async () => {
        await p1('hs-001');
        throw new Error('something later in the same unit of work failed');
      }),
    ).rejects.toThrow(/later/);
    expect(rows()).toEqual([]);
    expect(await tickets.list({ statuses: ['open'] })).toEqual([]);
  });

  it('a ticket no team serves is still filed, with nobody notified', async () => {
    const t = await p1('hs-009');
    expect((await tickets.get(t.id))?.priority).toBe('P1');
    expect(rows()).toEqual([]);
  });

  it('breaches are marked once, so each level is paged once', async () => {
    const t = await p1('hs-001');
    now += HOUR;
    await tickets.tick(now);
    await tickets.tick(now + 1000);
    const rules = (await notify.notifications({ limit: 50, ticket: t.id })).filter((n) => n.channel === 'ops').map((n) => n.rule);
    expect(rules.sort()).toEqual(['breach_on_site', 'breach_respond', 'p1_open']);
    // nobody at level 2 or 3: the group robot still posts it, naming nobody
    const breach = (await notify.notifications({ limit: 50, ticket: t.id })).find((n) => n.rule === 'breach_respond' && n.channel === 'ops')!;
    expect([breach.asked, breach.level, breach.reason]).toEqual([2, 2, 'nobody_on_call']);
  });
});
