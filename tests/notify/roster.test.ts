import { describe, expect, it } from 'vitest';
import { checkRoster, onCallBoard, onCallNow, recipientsFor } from '../../src/notify/roster.ts';
import { HOUR, person, T0, TEAMS } from './fixtures.ts';

const AREAS = new Set(['南岗区', '香坊区', '道里区']);

describe('checking roster entries', () => {
  it('resolves good entries: area * by default, mobile without spaces, window as ms', () => {
    const r = checkRoster(
      [
        { team: 'south', level: 1, name: ' 张三 ', mobile: '138 0013 8000', email: 'zhang@example.com', from: '2026-12-01T08:00:00+08:00', to: '2026-12-01T20:00:00+08:00' },
        { team: 'leaks', area: '道里区', level: 'qa', name: '王五' },
      ],
      TEAMS,
      AREAS,
    );
    expect(r.problems).toEqual([]);
    expect(r.entries[0]).toEqual({ team: 'south', area: '*', level: 1, name: '张三', mobile: '13800138000', email: 'zhang@example.com', from: Date.UTC(2026, 11, 1, 0), to: Date.UTC(2026, 11, 1, 12) });
    // a team serving * takes any area a station has
    expect(r.entries[1]).toMatchObject({ team: 'leaks', area: '道里区', level: 'qa', mobile: null, email: null, from: null, to: null });
  });

  it.each([
    [{ team: 'nobody', level: 1, name: 'x' }, 'body.entries.0.team', /unknown team 'nobody' \(teams: south, leaks, north\)/],
    [{ team: 'south', area: '道里区', level: 1, name: 'x' }, 'body.entries.0.area', /does not serve area '道里区'/],
    [{ team: 'leaks', area: '火星区', level: 1, name: 'x' }, 'body.entries.0.area', /does not serve area '火星区'/],
    [{ team: 'south', level: 1, name: '  ' }, 'body.entries.0.name', /a name is needed/],
    [{ team: 'south', level: 1, name: 'x', email: 'not-an-address' }, 'body.entries.0.email', /not an email address/],
    [{ team: 'south', level: 1, name: 'x', mobile: '12345' }, 'body.entries.0.mobile', /not a mobile number/],
    [{ team: 'south', level: 1, name: 'x', from: 'tomorrow' }, 'body.entries.0.from', /not a time/],
    [{ team: 'south', level: 1, name: 'x', from: T0 + HOUR, to: T0 }, 'body.entries.0.to', /after from/],
  ] as const)('refuses %o naming %s', (entry, field, message) => {
    const r = checkRoster([entry], TEAMS, AREAS);
    expect(r.entries).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].field).toBe(field);
    expect(r.problems[0].message).toMatch(message);
  });

  it('names the index of the bad entry among good ones', () => {
    const good = { team: 'south', level: 1 as const, name: '张三' };
    const r = checkRoster([good, good, good, { ...good, team: 'ghost' }], TEAMS, AREAS);
    expect(r.problems.map((p) => p.field)).toEqual(['body.entries.3.team']);
    expect(r.entries).toHaveLength(3);
  });
});

describe('who is on call', () => {
  const standing = person({ name: '常驻', level: 1 });
  const dayShift = person({ name: '白班', level: 1, from: T0 - 4 * HOUR, to: T0 + 8 * HOUR });
  const nightShift = person({ name: '夜班', level: 1, from: T0 + 8 * HOUR, to: T0 + 20 * HOUR });
  const local = person({ name: '南岗专责', level: 1, area: '南岗区' });
  const otherTeam = person({ name: '道里', level: 1, team: 'north' });
  const q = { team: 'south', area: '香坊区', level: 1 as const, now: T0 };

  it('a shift on now beats a standing entry; the window is [from, to)', () => {
    const roster = [standing, dayShift, nightShift, otherTeam];
    expect(onCallNow(roster, q).map((e) => e.name)).toEqual(['白班']);
    expect(onCallNow(roster, { ...q, now: T0 + 8 * HOUR }).map((e) => e.name)).toEqual(['夜班']);
    // between shifts the standing entry answers
    expect(onCallNow(roster, { ...q, now: T0 + 20 * HOUR }).map((e) => e.name)).toEqual(['常驻']);
  });

  it('an entry for the area beats one for all areas, even a shift; only in that area', () => {
    const roster = [standing, dayShift, local];
    expect(onCallNow(roster, { ...q, area: '南岗区' }).map((e) => e.name)).toEqual(['南岗专责']);
    expect(onCallNow(roster, q).map((e) => e.name)).toEqual(['白班']);
    // a ticket without an area: only the * entries
    expect(onCallNow(roster, { ...q, area: null }).map((e) => e.name)).toEqual(['白班']);
  });

  it('everyone equally specific is on call together', () => {
    const two = person({ name: '白班二', level: 1, from: T0 - HOUR, to: T0 + HOUR });
    expect(onCallNow([dayShift, two, standing], q).map((e) => e.name)).toEqual(['白班', '白班二']);
  });

  it('escalates up the chain while a level has nobody; the QA lead has no chain', () => {
    const lead = person({ name: '值班长', level: 2 });
    const boss = person({ name: '主管', level: 3 });
    expect(recipientsFor([standing, lead, boss], { ...q, level: 2 })).toMatchObject({ level: 2, reason: 'on_call', people: [{ name: '值班长' }] });
    expect(recipientsFor([standing, boss], { ...q, level: 2 })).toMatchObject({ level: 3, reason: 'next_level', people: [{ name: '主管' }] });
    expect(recipientsFor([boss], { ...q, level: 1 })).toMatchObject({ level: 3, reason: 'next_level' });
    expect(recipientsFor([standing], { ...q, level: 3 })).toEqual({ level: 3, reason: 'nobody_on_call', people: [] });
    expect(recipientsFor([standing, lead, boss], { ...q, level: 'qa' })).toEqual({ level: 'qa', reason: 'nobody_on_call', people: [] });
  });

  it('the board: every team, area and level, gaps included', () => {
    const board = onCallBoard([dayShift, local, person({ team: 'leaks', area: '道里区', name: '抢修', level: 1 })], TEAMS, T0);
    const cell = (team: string, area: string, level: number | string) => board.find((c) => c.team === team && c.area === area && c.level === level)!.people.map((p) => p.name);
    expect(cell('south', '南岗区', 1)).toEqual(['南岗专责']);
    expect(cell('south', '香坊区', 1)).toEqual(['白班']);
    expect(cell('south', '香坊区', 2)).toEqual([]);
    // a team serving * shows * and the areas its entries name
    expect(cell('leaks', '道里区', 1)).toEqual(['抢修']);
    expect(cell('leaks', '*', 1)).toEqual([]);
    expect(board.filter((c) => c.team === 'north')).toHaveLength(4);
  });
});
