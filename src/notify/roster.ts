/**
 * The on-call roster (值班表), pure: checking entries against the configured teams, and who is
 * on call for a team, area and level at an instant. The roster lives in the state database
 * (store.ts) and is edited at runtime.
 *
 * Levels are the escalation chain: 1 the on-call (值班人员), 2 the next level (值班长, the shift
 * lead), 3 the manager (主管); `qa` is the QA lead (质检负责人), who hears of unhappy callbacks.
 *
 * Who is on call: among the entries of the team and level valid at the instant (`from` inclusive,
 * `to` exclusive, either open), the most specific ones — an entry for the area beats one for all
 * the team's areas (`*`), and within those a shift (an entry with a window) beats a standing
 * entry. Every entry of that best kind is on call together.
 *
 * @example
 *   onCallNow(entries, { team: 'south', area: '南岗区', level: 1, now });
 *   // the 南岗区 shift on now, else a standing 南岗区 entry, else the `*` entries
 */
import { parseInstant } from '../modes/config.ts';
import type { Team } from './config.ts';

export type RosterLevel = 1 | 2 | 3 | 'qa';
export const ROSTER_LEVELS: readonly RosterLevel[] = [1, 2, 3, 'qa'];

export interface RosterEntry {
  team: string;
  /** an area the team serves, or `*` for all of them */
  area: string;
  level: RosterLevel;
  name: string;
  /** mentioned in WeCom / DingTalk messages */
  mobile: string | null;
  /** where email notifications go */
  email: string | null;
  /** validity window, ms epoch; null = open */
  from: number | null;
  to: number | null;
}

/** An entry as the API takes it: times as ISO 8601 (or ms epoch), optional fields left out. */
export interface RosterEntryInput {
  team: string;
  area?: string;
  level: RosterLevel;
  name: string;
  mobile?: string | null;
  email?: string | null;
  from?: string | number | null;
  to?: string | number | null;
}

export interface RosterProblem {
  field: string;
  message: string;
}

/** Mainland mobile numbers (what the robots mention), optionally with +86. */
const MOBILE = /^(\+?86)?1[3-9]\d{9}$/;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * Checks entries against the teams (and, for a team serving `*`, the stations' areas); returns
 * the entries resolved, or the problems, each naming its field under `path` (`body.entries.3.team`).
 */
export function checkRoster(
  inputs: readonly RosterEntryInput[],
  teams: readonly Team[],
  areas: ReadonlySet<string>,
  path = 'body.entries',
): { entries: RosterEntry[]; problems: RosterProblem[] } {
  const byId = new Map(teams.map((t) => [t.id, t]));
  const problems: RosterProblem[] = [];
  const entries: RosterEntry[] = [];
  inputs.forEach((e, i) => {
    const at = (k: string) => `${path}.${i}.${k}`;
    const before = problems.length;
    const team = byId.get(e.team);
    const area = e.area ?? '*';
    if (!team) problems.push({ field: at('team'), message: `unknown team '${e.team}'${teams.length ? ` (teams: ${teams.map((t) => t.id).join(', ')})` : ' (notify.teams is empty)'}` });
    else if (area !== '*' && !(team.areas.includes(area) || (team.areas.includes('*') && areas.has(area)))) {
      problems.push({ field: at('area'), message: `team ${team.id} does not serve area '${area}' (it serves: ${team.areas.join(', ')}; or * for all)` });
    }
    if (!e.name.trim()) problems.push({ field: at('name'), message: 'a name is needed' });
    const mobile = e.mobile?.trim() || null;
    if (mobile !== null && !MOBILE.test(mobile.replace(/[\s-]/g, ''))) problems.push({ field: at('mobile'), message: `'${mobile}' is not a mobile number (11 digits from 13…19, optionally +86)` });
    const email = e.email?.trim() || null;
    if (email !== null && !EMAIL.test(email)) problems.push({ field: at('email'), message: `'${email}' is not an email address` });
    const from = instant(e.from, at('from'), problems);
    const to = instant(e.to, at('to'), problems);
    if (from !== null && to !== null && to <= from) problems.push({ field: at('to'), message: 'to must be after from' });
    if (problems.length === before) entries.push({ team: e.team, area, level: e.level, name: e.name.trim(), mobile: mobile?.replace(/[\s-]/g, '') ?? null, email, from, to });
  });
  return { entries, problems };
}

function instant(x: string | number | null | undefined, field: string, problems: RosterProblem[]): number | null {
  if (x === undefined || x === null || x === '') return null;
  const t = parseInstant(x);
  if (!Number.isFinite(t)) problems.push({ field, message: `'${x}' is not a time (ISO 8601 with a zone, e.g. 2026-12-01T08:00:00+08:00)` });
  return Number.isFinite(t) ? t : null;
}

export const isValidAt = (e: RosterEntry, now: number): boolean => (e.from === null || e.from <= now) && (e.to === null || now < e.to);

/** How specific an entry is for an area: its own area 2, all areas 0; a shift +1. */
function specificity(e: RosterEntry, area: string | null): number {
  return (e.area !== '*' && e.area === area ? 2 : 0) + (e.from !== null || e.to !== null ? 1 : 0);
}

/** Who is on call now for the team, area (null: the ticket has none) and level; see the module comment. */
export function onCallNow(roster: readonly RosterEntry[], q: { team: string; area: string | null; level: RosterLevel; now: number }): RosterEntry[] {
  const valid = roster.filter((e) => e.team === q.team && e.level === q.level && (e.area === '*' || e.area === q.area) && isValidAt(e, q.now));
  if (!valid.length) return [];
  const best = Math.max(...valid.map((e) => specificity(e, q.area)));
  return valid.filter((e) => specificity(e, q.area) === best);
}

/** Why these people were chosen: the level asked for, a higher one (nobody at it), or nobody at all. */
export type RecipientReason = 'on_call' | 'next_level' | 'nobody_on_call';

/**
 * The people to notify at a level, going up the chain (2, then 3) while a level has nobody on
 * call: an escalation must reach someone. The QA lead has no chain above.
 */
export function recipientsFor(
  roster: readonly RosterEntry[],
  q: { team: string; area: string | null; level: RosterLevel; now: number },
): { level: RosterLevel; people: RosterEntry[]; reason: RecipientReason } {
  const chain: RosterLevel[] = q.level === 'qa' ? ['qa'] : ([1, 2, 3] as const).filter((l) => l >= (q.level as number));
  for (const level of chain) {
    const people = onCallNow(roster, { ...q, level });
    if (people.length) return { level, people, reason: level === q.level ? 'on_call' : 'next_level' };
  }
  return { level: q.level, people: [], reason: 'nobody_on_call' };
}

export interface OnCallCell {
  team: string;
  area: string;
  level: RosterLevel;
  people: RosterEntry[];
}

/** Who is on call now, per team, per area it serves (and `*`), per level: the page's board. */
export function onCallBoard(roster: readonly RosterEntry[], teams: readonly Team[], now: number): OnCallCell[] {
  const cells: OnCallCell[] = [];
  for (const t of teams) {
    const named = t.areas.includes('*') ? [...new Set(roster.filter((e) => e.team === t.id && e.area !== '*').map((e) => e.area))] : t.areas;
    const areas = t.areas.includes('*') ? ['*', ...named] : named;
    for (const area of areas) {
      for (const level of ROSTER_LEVELS) cells.push({ team: t.id, area, level, people: onCallNow(roster, { team: t.id, area: area === '*' ? null : area, level, now }) });
    }
  }
  return cells;
}
