// Alarm data of the page and the banner (always visible). The banner, tile colours and sound
// take only annunciated alarms (GET /api/alarms?state=active: unacked, acked, rtn_unacked);
// suppressed, shelved and out-of-service alarms are fetched only while a view shows them, and
// children of a first-out alarm are kept apart (state.children), so they never sound.
// A 404 on the alarm API shows "not available" instead of failing.
import { ApiError, NotAvailable, api, listOf, oneAtATime } from './api.js';
import { ask, toast } from './dialog.js';
import { h } from './format.js';
import { getLang, t } from './i18n.js';
import { emit, state } from './store.js';

const toMs = (/** @type {any} */ v) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Date.parse(v) || null);

/** Alarms that are annunciated (banner, tile colour, sound, active list). */
export const ANNUNCIATED = new Set(['unacked', 'acked', 'rtn_unacked']);
export const UNACKED = new Set(['unacked', 'rtn_unacked']);
/** The views besides the active list, each its own `state=` on the API. */
export const OTHER_VIEWS = /** @type {const} */ (['suppressed', 'shelved', 'out_of_service']);

/** at most this many rows of one view are loaded (the tab says how many there are) */
export const VIEW_LIMIT = 1000;
/** with a large suppressed view, children are looked up for at most this many stations */
const NEST_STATIONS_MAX = 50;

/** alarm id → its text per language, from every alarm the page has seen (history, tickets). */
const known = new Map();

/** One alarm in the shape the page uses, whatever spelling the API chose. */
export function normAlarm(/** @type {any} */ a) {
  const point = a.point ?? '';
  const id = String(a.id ?? a.alarmId);
  if (a.messages) known.set(id, a.messages);
  return {
    id,
    station: a.station ?? point.split('.')[0] ?? '',
    point,
    class: a.class ?? null,
    priority: Number(a.priority ?? 4),
    state: a.state ?? a.st ?? 'unacked',
    message: a.message ?? a.text ?? a.ruleId ?? a.id,
    /** @type {Record<string, string> | null} */
    messages: a.messages ?? null,
    // a child or a suppressed alarm that never raised still has the time it last changed
    ts: toMs(a.activeTs ?? a.activeSince ?? a.raisedAt ?? a.since ?? a.ts ?? a.updatedAt ?? a.lastChange),
    /** the condition holds now */
    active: a.active ?? true,
    ackedBy: a.ackedBy ?? a.ack?.user ?? a.acknowledgedBy ?? null,
    ackedAt: toMs(a.ackedAt ?? a.ack?.ts ?? a.acknowledgedAt),
    comment: a.ackComment ?? a.ack?.comment ?? a.comment ?? null,
    shelvedUntil: toMs(a.shelvedUntil),
    shelvedBy: a.shelvedBy ?? null,
    /** @type {string | null} the first-out alarm this one follows from */
    parent: a.parent ?? null,
    /** @type {string[] | null} */
    suppressedBy: a.suppressedBy ?? null,
  };
}

/** An alarm's text in the page language (`messages[lang]`), else the text the API gave. */
export function alarmText(/** @type {{ id?: string, alarmId?: string, message?: string, messages?: Record<string, string> | null }} */ a) {
  const m = a.messages ?? known.get(String(a.id ?? a.alarmId));
  return m?.[getLang()] ?? a.message ?? '';
}

/** The texts per language of an alarm the page has seen, or undefined. */
export function knownMessages(/** @type {string} */ id) {
  return known.get(id);
}

/**
 * Learns the texts of alarms the page has not seen (history events carry one text only), by
 * asking for every alarm of their stations, at most `max` stations at a time.
 * @param {Array<{ alarmId?: string, station?: string }>} events
 */
export async function learnTexts(events, max = 10) {
  const stations = [...new Set(events.filter((e) => e.alarmId && e.station && !known.has(e.alarmId)).map((e) => /** @type {string} */ (e.station)))].slice(0, max);
  await Promise.all(stations.map((s) => api(`/api/alarms?state=all&station=${encodeURIComponent(s)}`).then((b) => listOf(b, ['alarms', 'items']).forEach(normAlarm), () => null)));
}

export function sortAlarms(/** @type {any[]} */ list) {
  return list.sort((a, b) => a.priority - b.priority || (b.ts ?? 0) - (a.ts ?? 0));
}

export function stationName(/** @type {string} */ id) {
  const s = state.byId.get(id);
  return s ? s.name : id;
}

export class Alarms {
  /** @param {{ banner: HTMLElement, sound: import('./sound.js').AlarmSound }} els */
  constructor(els) {
    this.banner = els.banner;
    this.sound = els.sound;
    /** @type {Set<string>} ids seen unacked, to sound only new ones */
    this.seen = new Set();
    this.first = true;
    this.available = true;
    this.refresh = oneAtATime(() => this.load());
    this.lastRepeat = 0;
    /**
     * What else to load on each refresh, for what the page shows: other views (`suppressed`,
     * `shelved`, `out_of_service`), the children to nest under annunciated alarms, and for
     * which station ('' = all).
     * @type {{ views: string[], children: boolean, station: string }}
     */
    this.want = { views: [], children: false, station: '' };
    this.renderBanner();
  }

  /** Reloads the lists (through `refresh`, one load at a time: on a timer and on every alarm event from /ws). */
  async load() {
    try {
      const one = (/** @type {string} */ q) => api(`/api/alarms?${q}&lang=${getLang()}`, { optional: true }).then((b) => listOf(b, ['alarms', 'items']).map(normAlarm));
      const at = this.want.station ? `&station=${encodeURIComponent(this.want.station)}` : '';
      const [active, counts, ...views] = await Promise.all([
        one('state=active'),
        api('/api/alarms/counts').catch(() => null),
        ...this.want.views.map((v) => one(`state=${v}${at}&limit=${VIEW_LIMIT}`)),
      ]);
      // the active view is annunciated alarms only; filtering again keeps a suppressed alarm out
      // of the banner and the sound whatever an older server sends
      state.alarms = sortAlarms(active.filter((a) => ANNUNCIATED.has(a.state)));
      state.counts = counts;
      state.views = Object.fromEntries(this.want.views.map((v, i) => [v, sortAlarms(views[i].filter((a) => a.state === v))]));
      state.children = this.want.children ? childrenOf(await this.suppressedNear(one, at, counts)) : new Map();
      this.available = true;
    } catch (err) {
      if (err instanceof NotAvailable) {
        this.available = false;
        state.alarms = null;
      } else if (!(err instanceof ApiError && err.status === 401)) console.warn('alarms', err);
    }
    this.afterLoad();
  }

  afterLoad() {
    const list = state.alarms ?? [];
    // worst annunciated priority per station → tile colour
    const worst = new Map();
    for (const a of list) if (!worst.has(a.station) || a.priority < worst.get(a.station)) worst.set(a.station, a.priority);
    for (const s of state.stations) s._alarm = worst.get(s.id) ?? null;
    // sound: new unacknowledged alarms (not on the first load: the shift starts quietly)
    let loudest = 5;
    const now = Date.now();
    for (const a of list) {
      if (!UNACKED.has(a.state)) continue;
      if (!this.seen.has(a.id) && !this.first) loudest = Math.min(loudest, a.priority);
      this.seen.add(a.id);
    }
    // emergencies keep sounding every 15 s until acknowledged
    if (loudest > 4 && list.some((a) => a.priority === 1 && a.state === 'unacked') && now - this.lastRepeat > 15_000) loudest = 1;
    if (loudest <= 4) {
      this.sound.play(loudest);
      this.lastRepeat = now;
    }
    for (const id of this.seen) if (!list.some((a) => a.id === id && UNACKED.has(a.state))) this.seen.delete(id);
    this.first = false;
    this.renderBanner();
    emit('alarms');
  }

  renderBanner() {
    const list = state.alarms ?? [];
    const unacked = list.filter((a) => UNACKED.has(a.state));
    this.banner.className = `banner${list.length ? ` prio-${list[0].priority}` : ''}${unacked.length ? ' flashing' : ''}`;
    if (!this.available) {
      this.banner.replaceChildren(h('span', { class: 'banner-summary notice' }, t('unavailable', { what: t('unavailable.alarms') })));
      return;
    }
    const summary = list.length ? t('alarm.banner.count', { n: list.length, u: unacked.length }) : t('alarm.banner.none');
    this.banner.replaceChildren(
      h('a', { class: 'banner-summary', href: '#/alarms' }, summary),
      h(
        'div',
        { class: 'banner-items' },
        list.slice(0, 4).map((a) =>
          h(
            'a',
            { class: `banner-item prio-${a.priority}${UNACKED.has(a.state) ? ' unacked' : ''}`, href: `#/station/${a.station}`, 'data-alarm': a.id },
            h('span', { class: `prio-tag prio-${a.priority}` }, t(`prio.${a.priority}`)),
            ` ${stationName(a.station)} · ${alarmText(a)}`,
          ),
        ),
      ),
    );
  }

  /**
   * The suppressed alarms that may be children of the annunciated ones. The API has no filter
   * for "has a parent", and out of season every rule of a stopped station is suppressed, so
   * when the suppressed view is large only the stations with annunciated alarms are asked.
   * @param {(q: string) => Promise<any[]>} one
   */
  async suppressedNear(one, /** @type {string} */ at, /** @type {any} */ counts) {
    if (at || (counts?.suppressed ?? Infinity) <= VIEW_LIMIT) return one(`state=suppressed${at}&limit=${VIEW_LIMIT}`);
    const stations = [...new Set((state.alarms ?? []).map((a) => a.station))].slice(0, NEST_STATIONS_MAX);
    return (await Promise.all(stations.map((s) => one(`state=suppressed&station=${encodeURIComponent(s)}`)))).flat();
  }

  /** Acknowledge / shelve / unshelve / return to service with a comment, as the operator. */
  async act(/** @type {any} */ a, /** @type {'ack'|'shelve'|'unshelve'|'return'} */ what) {
    /** @type {Array<{ name: string, label: string, type?: string, value?: string, required?: boolean }>} */
    const fields = [{ name: 'comment', label: t('alarm.comment'), type: 'textarea', required: what !== 'unshelve' }];
    if (what === 'shelve') fields.push({ name: 'minutes', label: t('alarm.minutes'), type: 'number', value: '60', required: true });
    const v = await ask(`${t(`alarm.${what}`)}: ${stationName(a.station)} · ${alarmText(a)}`, fields);
    if (!v) return;
    /** @type {Record<string, unknown>} */
    const body = { comment: v.comment };
    if (what === 'shelve') body.minutes = Number(v.minutes);
    if (what === 'return') body.on = false;
    const path = what === 'return' ? 'out-of-service' : what;
    try {
      await api(`/api/alarms/${encodeURIComponent(a.id)}/${path}`, { method: 'POST', body });
    } catch (err) {
      toast(err instanceof ApiError && err.status === 403 ? t('forbidden') : t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
    await this.refresh();
  }
}

/** parent id → its children (suppressed alarms following from it), each list by priority. */
function childrenOf(/** @type {any[]} */ suppressed) {
  /** @type {Map<string, any[]>} */
  const out = new Map();
  for (const a of suppressed) {
    if (!a.parent) continue;
    if (!out.has(a.parent)) out.set(a.parent, []);
    out.get(a.parent)?.push(a);
  }
  return out;
}
