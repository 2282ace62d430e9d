// The roster store on both state backends: replacing the whole roster or one team's, in the
// caller's transaction; the same order of entries on both engines; the notification rows of the
// outbox with their delivery state; a roster change seen by a second instance once it reads the
// roster again; and an SQLite file of an older release opened as it was.
import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY_RETRY } from '../../src/notify/config.ts';
import type { RosterEntry } from '../../src/notify/roster.ts';
import { NotifyService } from '../../src/notify/service.ts';
import { RosterStore } from '../../src/notify/store.ts';
import type { NotificationBody } from '../../src/notify/deliver.ts';
import type { StateDb } from '../../src/state/db.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { claimOutboxRow, insertOutboxRows, markOutboxDelivered, markOutboxFailed } from '../../src/tickets/outbox-rows.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';
import { TEAMS } from './fixtures.ts';

const T0 = Date.UTC(2026, 11, 3, 0, 0, 0);

const entry = (e: Partial<RosterEntry> & Pick<RosterEntry, 'team' | 'level' | 'name'>): RosterEntry => ({ area: '*', mobile: null, email: null, from: null, to: null, ...e });

const ROSTER: RosterEntry[] = [
  entry({ team: 'south', area: '南岗区', level: 1, name: '张三', mobile: '13800138000', from: T0, to: T0 + 8 * 3_600_000 }),
  entry({ team: 'south', level: 'qa', name: '孙七', email: 'sun@heat.example' }),
  entry({ team: 'North', level: 1, name: '赵六' }),
  entry({ team: 'south', area: '香坊区', level: 1, name: '周九' }),
  entry({ team: 'south', area: '南岗区', level: 2, name: '李四', email: 'li@heat.example' }),
  entry({ team: 'south', area: 'Zone b', level: 1, name: 'Bo' }),
  entry({ team: 'south', area: 'zone a', level: 1, name: 'Al' }),
];

const notice = (ticket: number, channel: string): NotificationBody => ({
  id: `${ticket}:1:p1_open:${channel}`,
  change: 'created',
  ticket: { id: ticket, priority: 'P1', station: 'hs-001', title: '水浸' },
  notify: { rule: 'p1_open', level: 1, asked: 1, reason: 'on_call', team: 'south', channel, kind: 'wecom', recipients: [{ name: '张三', mobile: '13800138000', email: null }], to: null, subject: 's', text: 't' },
});

describe.each(stateBackends)('the roster store on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('keeps the roster; orders it by team, level, area, then as entered, alike on both engines', async () => {
    const store = new RosterStore(await dbs.fresh());
    await store.init();
    expect(await store.entries()).toEqual([]);
    expect(await store.replace(null, ROSTER)).toBe(0);
    const got = await store.entries();
    expect(got.map((e) => [e.team, e.level, e.area, e.name])).toEqual([
      ['North', 1, '*', '赵六'],
      ['south', 1, 'Zone b', 'Bo'],
      ['south', 1, 'zone a', 'Al'],
      ['south', 1, '南岗区', '张三'],
      ['south', 1, '香坊区', '周九'],
      ['south', 2, '南岗区', '李四'],
      ['south', 'qa', '*', '孙七'],
    ]);
    expect(got.find((e) => e.name === '张三')).toEqual(ROSTER[0]);
  });

  it("replaces one team's entries or the whole roster, saying how many went; a rolled-back replacement leaves the roster", async () => {
    const db = await dbs.fresh();
    const store = new RosterStore(db);
    await store.init();
    await store.replace(null, ROSTER);
    expect(await store.replace('south', [entry({ team: 'south', level: 3, name: '王五' })])).toBe(6);
    expect((await store.entries()).map((e) => e.name)).toEqual(['赵六', '王五']);
    await expect(
      db.tx(async () => {
        await store.replace(null, []);
        throw new Error('the audit row failed');
      }),
    ).rejects.toThrow('audit');
    expect((await store.entries()).map((e) => e.name)).toEqual(['赵六', '王五']);
    // more entries than one statement takes
    const many = Array.from({ length: 450 }, (_, i) => entry({ team: 't', level: 1, name: `p${String(i).padStart(3, '0')}` }));
    expect(await db.tx(() => store.replace(null, many))).toBe(2);
    expect((await store.entries()).map((e) => e.name)).toEqual(many.map((e) => e.name));
  });

  it('lists notification rows newest first, of one ticket, with their delivery state', async () => {
    const db = await dbs.fresh();
    const store = new RosterStore(db);
    await store.init();
    const row = (ticket: number, channel: string) => ({ receiver: channel, eventId: notice(ticket, channel).id, type: 'notify', body: JSON.stringify(notice(ticket, channel)) });
    await insertOutboxRows(db, [row(1, 'ops'), row(1, 'mail'), row(12, 'ops'), row(12, 'mail'), row(112, 'ops')], T0);
    await insertOutboxRows(db, [{ receiver: 'ext', eventId: '12:1', type: 'created', body: '{}' }], T0);
    const ids = (await db.all<{ id: number }>("SELECT id FROM tk_outbox WHERE type = 'notify' ORDER BY id")).map((r) => r.id);
    await claimOutboxRow(db, ids[2], 'me', T0, T0 + 100);
    await markOutboxDelivered(db, ids[2], 'me', T0 + 5);
    await claimOutboxRow(db, ids[3], 'me', T0, T0 + 100);
    await markOutboxFailed(db, ids[3], 'me', { nextAt: T0 + 50, error: 'mail: SMTP 451', dead: false });
    const of12 = await store.notifications({ limit: 10, ticket: 12 });
    expect(of12.map((n) => [n.ticket, n.channel, n.state, n.attempts, n.lastError])).toEqual([
      [12, 'mail', 'retrying', 1, 'mail: SMTP 451'],
      [12, 'ops', 'delivered', 1, null],
    ]);
    expect(of12[1]).toMatchObject({ rule: 'p1_open', recipients: ['张三'], deliveredAt: T0 + 5, createdAt: T0 });
    expect((await store.notifications({ limit: 10, ticket: 1 })).map((n) => n.channel)).toEqual(['mail', 'ops']);
    expect((await store.notifications({ limit: 3 })).map((n) => [n.ticket, n.state])).toEqual([
      [112, 'queued'],
      [12, 'retrying'],
      [12, 'delivered'],
    ]);
  });
});

describe.each(stateBackends)('the on-call service on %s, two instances', (kind) => {
  const dbs = useStateDbs(kind);

  it("a roster change made through one instance reaches the other's on-call board when it reads the roster again", async () => {
    const open = async (db: StateDb) => {
      const svc = new NotifyService({ db, settings: { teams: TEAMS, defaultTeam: null, channels: [], smtp: null, retry: DEFAULT_NOTIFY_RETRY }, stations: [{ id: 'hs-001', area: '南岗区' }], timeZone: 'Asia/Shanghai', now: () => T0 });
      await svc.init();
      return svc;
    };
    const db = await dbs.fresh();
    const a = await open(db);
    // PostgreSQL: a second instance; SQLite: the same file in one process
    const b = await open(kind === 'postgresql' ? dbs.again() : db);
    let told = 0;
    a.onRosterChange(() => told++); // the cluster bus tells the others from here (src/cluster/wiring.ts)
    await a.putRoster({ team: 'south', entries: [{ team: 'south', level: 1, name: '张三' }] }, { name: 'lead-1', role: 'supervisor' });
    expect(told).toBe(1);
    expect(a.entries().map((e) => e.name)).toEqual(['张三']);
    expect(b.entries()).toEqual([]);
    await b.refresh();
    expect(b.entries().map((e) => e.name)).toEqual(['张三']);
    expect(b.board(T0).find((c) => c.team === 'south' && c.area === '南岗区' && c.level === 1)?.people.map((p) => p.name)).toEqual(['张三']);
  });
});

describe('an SQLite file of an older release', () => {
  const dbs = useStateDbs('sqlite');

  it('opens with its roster and reads it', async () => {
    const db = (await dbs.fresh()) as SqliteStateDb;
    db.raw.exec(`
      CREATE TABLE nt_roster (
        id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, area TEXT NOT NULL, level TEXT NOT NULL, name TEXT NOT NULL,
        mobile TEXT, email TEXT, valid_from INTEGER, valid_to INTEGER
      );
      CREATE INDEX nt_roster_team ON nt_roster(team, level);
      INSERT INTO nt_roster (team, area, level, name, mobile, email, valid_from, valid_to) VALUES ('south', '南岗区', '2', '李四', NULL, 'li@heat.example', NULL, NULL);
      INSERT INTO nt_roster (team, area, level, name, mobile, email, valid_from, valid_to) VALUES ('south', '*', 'qa', '孙七', NULL, NULL, ${T0}, ${T0 + 1000});`);
    const store = new RosterStore(db);
    await store.init();
    expect(await store.entries()).toEqual([
      entry({ team: 'south', area: '南岗区', level: 2, name: '李四', email: 'li@heat.example' }),
      entry({ team: 'south', level: 'qa', name: '孙七', from: T0, to: T0 + 1000 }),
    ]);
  });
});
