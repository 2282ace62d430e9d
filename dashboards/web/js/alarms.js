// Alarm banner (always visible), active alarm list with acknowledge/shelve, history and KPIs.
// Works against DESIGN §5: GET /api/alarms?state=active, POST /api/alarms/:id/ack|shelve|unshelve,
// GET /api/alarms/history, GET /api/alarms/kpis. A 404 shows "not available" instead of failing.
import { ApiError, NotAvailable, api, listOf } from './api.js';
import { ask, toast } from './dialog.js';
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { emit, isOperator, state } from './store.js';

const toMs = (/** @type {any} */ v) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Date.parse(v) || null);

/** One alarm in the shape the page uses, whatever spelling the API chose. */
export function normAlarm(/** @type {any} */ a) {
  const point = a.point ?? '';
  return {
    id: String(a.id ?? a.alarmId),
    station: a.station ?? point.split('.')[0] ?? '',
    point,
    priority: Number(a.priority ?? 4),
    state: a.state ?? a.st ?? 'unacked',
    message: a.message ?? a.text ?? a.ruleId ?? a.id,
    ts: toMs(a.activeTs ?? a.activeSince ?? a.raisedAt ?? a.since ?? a.ts ?? a.updatedAt),
    ackedBy: a.ackedBy ?? a.ack?.user ?? a.acknowledgedBy ?? null,
    ackedAt: toMs(a.ackedAt ?? a.ack?.ts ?? a.acknowledgedAt),
    comment: a.ackComment ?? a.ack?.comment ?? a.comment ?? null,
    shelvedUntil: toMs(a.shelvedUntil),
  };
}

const ACTIVE = new Set(['unacked', 'acked', 'rtn_unacked', 'shelved', 'suppressed', 'out_of_service']);
/** Alarms that are annunciated (banner, tile colour, sound). */
const ANNUNCIATED = new Set(['unacked', 'acked', 'rtn_unacked']);
const UNACKED = new Set(['unacked', 'rtn_unacked']);

export function sortAlarms(/** @type {any[]} */ list) {
  return list.sort((a, b) => a.priority - b.priority || (b.ts ?? 0) - (a.ts ?? 0));
}

export class Alarms {
  /**
   * @param {{ banner: HTMLElement, view: HTMLElement, sound: import('./sound.js').AlarmSound }} els
   */
  constructor(els) {
    this.banner = els.banner;
    this.view = els.view;
    this.sound = els.sound;
    /** @type {Set<string>} ids seen unacked, to sound only new ones */
    this.seen = new Set();
    this.first = true;
    this.available = true;
    this.loading = false;
    this.again = false;
    this.lastRepeat = 0;
    this.renderBanner();
  }

  /** Reloads the active list; called on a timer and on every alarm event from /ws. */
  async refresh() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const body = await api('/api/alarms?state=active', { optional: true });
      state.alarms = sortAlarms(listOf(body, ['alarms', 'items']).map(normAlarm).filter((a) => ACTIVE.has(a.state)));
      this.available = true;
    } catch (err) {
      if (err instanceof NotAvailable) {
        this.available = false;
        state.alarms = null;
      } else if (!(err instanceof ApiError && err.status === 401)) console.warn('alarms', err);
    } finally {
      this.loading = false;
    }
    this.afterLoad();
    if (this.again) {
      this.again = false;
      void this.refresh();
    }
  }

  afterLoad() {
    const list = state.alarms ?? [];
    // worst annunciated priority per station → tile colour
    const worst = new Map();
    for (const a of list) {
      if (!ANNUNCIATED.has(a.state)) continue;
      if (!worst.has(a.station) || a.priority < worst.get(a.station)) worst.set(a.station, a.priority);
    }
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
    if (!this.view.hidden) this.renderView();
    emit('alarms');
  }

  renderBanner() {
    const list = (state.alarms ?? []).filter((a) => ANNUNCIATED.has(a.state));
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
            ` ${stationName(a.station)} · ${a.message}`,
          ),
        ),
      ),
    );
  }

  show() {
    this.renderView();
    void this.loadHistory();
  }

  renderView() {
    if (!this.available) {
      this.view.replaceChildren(h('p', { class: 'notice' }, t('unavailable', { what: t('unavailable.alarms') })));
      return;
    }
    if (!this.view.querySelector('.alarm-active')) {
      this.view.replaceChildren(
        h('h2', null, t('alarm.active')),
        h('div', { class: 'alarm-active' }),
        h('h2', null, t('alarm.kpis')),
        h('div', { class: 'alarm-kpis' }),
        h('h2', null, t('alarm.history')),
        h('div', { class: 'alarm-history' }),
      );
    }
    const box = /** @type {HTMLElement} */ (this.view.querySelector('.alarm-active'));
    // re-render only on change, so a button is not replaced under the operator's pointer
    const sig = `${state.role}|${(state.alarms ?? []).map((a) => `${a.id}:${a.state}:${a.ackedBy}:${a.shelvedUntil}`).join(',')}`;
    if (box.dataset.sig === sig && box.firstChild) return;
    box.dataset.sig = sig;
    box.replaceChildren(alarmTable(state.alarms ?? [], (a, what) => this.act(a, what)));
  }

  async loadHistory() {
    const kpis = /** @type {HTMLElement | null} */ (this.view.querySelector('.alarm-kpis'));
    const hist = /** @type {HTMLElement | null} */ (this.view.querySelector('.alarm-history'));
    if (!kpis || !hist) return;
    try {
      const k = await api('/api/alarms/kpis', { optional: true });
      const cell = (/** @type {string} */ key, /** @type {any} */ v) => h('div', { class: 'kpi' }, h('span', null, t(key)), h('b', null, v ?? '—'));
      kpis.replaceChildren(
        h(
          'div',
          { class: 'kpi-row' },
          cell('alarm.kpi.raises', k?.raises),
          cell('alarm.kpi.avg', typeof k?.avgPer10Min === 'number' ? k.avgPer10Min.toFixed(2) : undefined),
          cell('alarm.kpi.peak', k?.peak10Min),
          cell('alarm.kpi.flood', typeof k?.floodPercent === 'number' ? `${k.floodPercent.toFixed(1)} %` : undefined),
          cell('alarm.kpi.chattering', Array.isArray(k?.chattering) ? k.chattering.length : k?.chattering),
          cell('alarm.kpi.stale', Array.isArray(k?.stale) ? k.stale.length : k?.stale),
        ),
      );
    } catch (err) {
      kpis.replaceChildren(h('p', { class: 'notice' }, err instanceof NotAvailable ? t('unavailable', { what: t('unavailable.alarms') }) : t('error', { msg: String(/** @type {Error} */ (err).message) })));
    }
    try {
      const body = await api('/api/alarms/history', { optional: true });
      const events = listOf(body, ['events', 'items', 'alarms', 'history']).slice(0, 200);
      hist.replaceChildren(
        h(
          'table',
          { class: 'table' },
          h('thead', null, h('tr', null, ['alarm.col.time', 'alarm.col.prio', 'alarm.col.station', 'alarm.col.message', 'alarm.col.state', 'alarm.col.ack'].map((k) => h('th', null, t(k))))),
          h(
            'tbody',
            null,
            events.map((e) =>
              h(
                'tr',
                null,
                h('td', null, fmtTime(toMs(e.ts ?? e.time))),
                h('td', null, h('span', { class: `prio-tag prio-${e.priority}` }, t(`prio.${e.priority}`))),
                h('td', null, stationName(e.station ?? String(e.point ?? '').split('.')[0])),
                h('td', null, e.message ?? e.alarmId ?? ''),
                h('td', null, `${e.type ?? ''} ${e.to ? `→ ${t(`alarm.state.${e.to}`)}` : ''}`),
                h('td', null, [e.user, e.comment].filter(Boolean).join(': ')),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      hist.replaceChildren(h('p', { class: 'notice' }, err instanceof NotAvailable ? t('unavailable', { what: t('unavailable.alarms') }) : t('error', { msg: String(/** @type {Error} */ (err).message) })));
    }
  }

  /** Acknowledge / shelve / unshelve with a comment, as the operator. */
  async act(/** @type {any} */ a, /** @type {'ack'|'shelve'|'unshelve'} */ what) {
    /** @type {Array<{ name: string, label: string, type?: string, value?: string, required?: boolean }>} */
    const fields = [{ name: 'comment', label: t('alarm.comment'), type: 'textarea', required: what !== 'unshelve' }];
    if (what === 'shelve') fields.push({ name: 'minutes', label: t('alarm.minutes'), type: 'number', value: '60', required: true });
    const v = await ask(`${t(`alarm.${what}`)}: ${stationName(a.station)} · ${a.message}`, fields);
    if (!v) return;
    /** @type {Record<string, unknown>} */
    const body = { comment: v.comment };
    if (what === 'shelve') body.minutes = Number(v.minutes);
    try {
      await api(`/api/alarms/${encodeURIComponent(a.id)}/${what}`, { method: 'POST', body });
    } catch (err) {
      toast(err instanceof ApiError && err.status === 403 ? t('forbidden') : t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
    await this.refresh();
  }
}

export function stationName(/** @type {string} */ id) {
  const s = state.byId.get(id);
  return s ? s.name : id;
}

/**
 * The alarm table used by the alarm view and the station detail.
 * @param {any[]} list
 * @param {(a: any, what: 'ack'|'shelve'|'unshelve') => void} act
 */
export function alarmTable(list, act) {
  const op = isOperator();
  return h(
    'table',
    { class: 'table alarm-table' },
    h('thead', null, h('tr', null, ['alarm.col.prio', 'alarm.col.time', 'alarm.col.station', 'alarm.col.message', 'alarm.col.state', 'alarm.col.ack', 'alarm.col.actions'].map((k) => h('th', null, t(k))))),
    h(
      'tbody',
      null,
      list.map((a) =>
        h(
          'tr',
          { class: `prio-${a.priority} state-${a.state}${UNACKED.has(a.state) ? ' flashing' : ''}`, 'data-alarm': a.id },
          h('td', null, h('span', { class: `prio-tag prio-${a.priority}` }, t(`prio.${a.priority}`))),
          h('td', null, fmtTime(a.ts)),
          h('td', null, h('a', { href: `#/station/${a.station}` }, stationName(a.station))),
          h('td', null, a.message),
          h('td', { class: 'alarm-state' }, t(`alarm.state.${a.state}`)),
          h('td', { class: 'alarm-acked' }, a.ackedBy ? t('alarm.ackedBy', { user: a.ackedBy, time: fmtTime(a.ackedAt) }) + (a.comment ? ` — ${a.comment}` : '') : ''),
          h(
            'td',
            null,
            op && UNACKED.has(a.state) ? h('button', { class: 'btn-ack', onclick: () => act(a, 'ack') }, t('alarm.ack')) : null,
            op && a.state !== 'shelved' ? h('button', { class: 'btn-shelve', onclick: () => act(a, 'shelve') }, t('alarm.shelve')) : null,
            op && a.state === 'shelved' ? h('button', { class: 'btn-unshelve', onclick: () => act(a, 'unshelve') }, t('alarm.unshelve')) : null,
          ),
        ),
      ),
    ),
  );
}
