// Ticket queue with live countdowns to respond-by and resolve-by (red when breached), lifecycle
// actions for operators, a ticket's timeline, and the service-window form for customer tickets.
import { ApiError, NotAvailable, api, apiAllPages, oneAtATime } from './api.js';
import { knownMessages, normAlarm, stationName } from './alarms.js';
import { ask, toast } from './dialog.js';
import { exportButtons } from './reports.js';
import { renderServiceWindow } from './service-window.js';
import { renderTicketDetail } from './ticket-detail.js';
import { fmtDuration, fmtTime, h } from './format.js';
import { getLang, t } from './i18n.js';
import { emit, isOperator, state } from './store.js';

const toMs = (/** @type {any} */ v) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Date.parse(v) || null);

const DONE = new Set(['closed']);
/** the respond-by clock stops once someone responded */
const RESPONDED = new Set(['dispatched', 'in_progress', 'resolved', 'verified', 'closed']);
const RESOLVED = new Set(['resolved', 'verified', 'closed']);

export function normTicket(/** @type {any} */ x) {
  const d = x.deadlines ?? x.sla ?? {};
  const p = String(x.priority ?? 'P4');
  return {
    id: String(x.id),
    priority: p.startsWith('P') ? p : `P${p}`,
    status: x.status ?? 'open',
    title: x.title ?? x.summary ?? x.description ?? x.category ?? '',
    kind: x.kind ?? 'single',
    /** @type {string[]} */
    alarmIds: Array.isArray(x.alarmIds) ? x.alarmIds : [],
    station: x.station ?? x.stationId ?? null,
    source: x.source ?? null,
    category: x.category ?? null,
    address: x.customer?.address ?? x.address ?? null,
    assignee: x.assignee ?? null,
    team: x.team ?? null,
    createdAt: toMs(x.createdAt ?? x.openedAt ?? x.created),
    respondBy: toMs(x.respondBy ?? x.respond_by ?? d.respondBy ?? d.respond ?? d.respond_by),
    resolveBy: toMs(x.resolveBy ?? x.resolve_by ?? d.resolveBy ?? d.resolve ?? d.resolve_by),
    respondedAt: toMs(x.respondedAt ?? x.dispatchedAt),
    resolvedAt: toMs(x.resolvedAt),
  };
}

/** The alarm whose text titles an alarm ticket (the server writes the title in Chinese). */
const titleAlarm = (/** @type {any} */ x) => (x.source === 'alarm' && x.kind === 'single' && x.station ? (x.alarmIds[0] ?? null) : null);

/** A ticket's title in the page language: an alarm ticket's alarm text where the page knows it. */
export function ticketTitle(/** @type {any} */ x) {
  const id = titleAlarm(x);
  const m = id ? knownMessages(id) : undefined;
  const text = m?.[getLang()];
  return text ? `${stationName(x.station)}: ${text}` : x.title;
}

/** `{text, cls}` of a countdown cell. */
function countdown(/** @type {number | null} */ by, /** @type {boolean} */ stopped, /** @type {number} */ now) {
  if (!by) return { text: '—', cls: '' };
  if (stopped) return { text: fmtTime(by), cls: 'met' };
  const left = by - now;
  if (left < 0) return { text: t('ticket.breached', { d: fmtDuration(left) }), cls: 'breached' };
  return { text: t('ticket.left', { d: fmtDuration(left) }), cls: left < 15 * 60_000 ? 'soon' : 'running' };
}

export class Tickets {
  /** @param {{ view: HTMLElement, service: HTMLElement }} els */
  constructor(els) {
    this.view = els.view;
    this.service = els.service;
    this.available = true;
    /** @type {string | null} */
    this.openTimeline = null;
    /** @type {string[] | undefined} resolution codes, fetched when first resolving */
    this.codes = undefined;
    /** alarm ids whose texts were fetched for titles */
    this.asked = new Set();
    /** reloads the queue, one load at a time however many ticket events arrive meanwhile */
    this.refresh = oneAtATime(() => this.load());
    setInterval(() => this.tick(), 1000);
  }

  /** The queue's filters and order as a querystring: the list is paged in by it and exported by it. */
  queueQuery() {
    return 'sort=deadline';
  }

  async load() {
    try {
      // every ticket not closed, page by page, in the order the server keeps: the next deadline due first
      const list = await apiAllPages(`/api/tickets?${this.queueQuery()}&limit=1000`, { optional: true });
      state.tickets = list.map(normTicket).filter((x) => !DONE.has(x.status));
      this.available = true;
    } catch (err) {
      if (err instanceof NotAvailable) {
        this.available = false;
        state.tickets = null;
      } else console.warn('tickets', err);
    }
    await this.learnTitles();
    const count = new Map();
    for (const x of state.tickets ?? []) if (x.station) count.set(x.station, (count.get(x.station) ?? 0) + 1);
    for (const s of state.stations) s._tickets = count.get(s.id) ?? 0;
    if (!this.view.hidden) this.render();
    emit('tickets');
  }

  /**
   * Outside Chinese, fetches the texts of alarms titling tickets that the page has not seen
   * (cleared ones), a few per refresh; each is fetched once.
   */
  async learnTitles() {
    if (getLang() === 'zh-CN') return;
    const missing = [...new Set((state.tickets ?? []).map(titleAlarm).filter((id) => id && !knownMessages(id) && !this.asked.has(id)))].slice(0, 20);
    for (const id of missing) this.asked.add(id);
    await Promise.all(missing.map((id) => api(`/api/alarms/${encodeURIComponent(id)}`).then(normAlarm, () => null)));
  }

  render() {
    if (!this.available) {
      this.view.replaceChildren(h('p', { class: 'notice' }, t('unavailable', { what: t('unavailable.tickets') })));
      return;
    }
    const list = state.tickets ?? [];
    const exporting = exportButtons(() => `/api/tickets/export?${this.queueQuery()}`, () => `${t('report.exportFile')}-${new Date().toLocaleDateString('en-CA')}`, 'report.export');
    this.view.replaceChildren(h('h2', null, t('ticket.queue')), h('div', { class: 'toolbar queue-tools' }, exporting), list.length ? ticketTable(list, (x, to) => this.transition(x, to), (x) => this.toggleTimeline(x)) : h('p', { class: 'muted' }, t('ticket.none')));
    if (this.openTimeline) void this.showTimeline(this.openTimeline);
    this.tick();
  }

  /** Updates only the countdown cells, once a second. */
  tick() {
    const now = Date.now();
    for (const cell of document.querySelectorAll('td[data-deadline]')) {
      const el = /** @type {HTMLElement} */ (cell);
      const c = countdown(Number(el.dataset.deadline) || null, el.dataset.stopped === '1', now);
      if (el.textContent !== c.text) el.textContent = c.text;
      el.className = `countdown ${c.cls}`;
    }
  }

  async transition(/** @type {any} */ x, /** @type {string} */ to) {
    /** @type {Array<{ name: string, label: string, type?: string, value?: string }>} */
    const fields = [{ name: 'note', label: t('ticket.note'), type: 'textarea' }];
    if (to === 'resolved') {
      this.codes ??= await api('/api/tickets/resolution-codes').catch(() => []);
      fields.unshift({ name: 'resolution', label: t('ticket.resolution'), value: this.codes[0], options: this.codes.map((/** @type {string} */ c) => ({ value: c, label: t(`resolution.${c}`) === `resolution.${c}` ? c : t(`resolution.${c}`) })) });
    }
    if (to === 'dispatched') fields.push({ name: 'team', label: t('ticket.team'), value: x.team ?? '' }, { name: 'assignee', label: t('ticket.assignee'), value: x.assignee ?? '' });
    const v = await ask(`${t(`ticket.to.${to}`)}: ${x.id} ${ticketTitle(x)}`, fields);
    if (!v) return;
    /** @type {Record<string, unknown>} */
    const body = { to };
    if (v.note) body.note = v.note;
    if (v.assignee) body.assignee = v.assignee;
    if (v.team) body.team = v.team;
    if (v.resolution) body.resolution = v.resolution;
    try {
      await api(`/api/tickets/${encodeURIComponent(x.id)}/transition`, { method: 'POST', body });
    } catch (err) {
      toast(err instanceof ApiError && err.status === 403 ? t('forbidden') : t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
    await this.refresh();
  }

  /** `#/tickets/<id>`: that ticket opened, under its row, or above the queue when it is not in it (closed). */
  show(/** @type {string | undefined} */ arg) {
    if (arg && /^\d+$/.test(arg)) this.openTimeline = arg;
    this.render();
  }

  toggleTimeline(/** @type {any} */ x) {
    this.openTimeline = this.openTimeline === x.id ? null : x.id;
    this.render();
  }

  async showTimeline(/** @type {string} */ id) {
    const row = this.view.querySelector(`tr[data-ticket="${CSS.escape(id)}"]`);
    const cell = h(row ? 'td' : 'div', row ? { colspan: 7 } : { class: 'ticket-alone' }, '…');
    if (row) row.after(h('tr', { class: 'timeline-row' }, cell));
    else this.view.querySelector('h2')?.after(h('h3', null, `#${id}`), cell);
    try {
      await renderTicketDetail(cell, id, () => this.refresh());
    } catch (err) {
      cell.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
    }
  }

  /** The service-window form (客服窗口), in service-window.js. */
  renderService() {
    this.refreshServiceLive = renderServiceWindow(this.service, () => this.refresh());
  }

  /** @type {(() => void) | undefined} */
  refreshServiceLive = undefined;
}

/**
 * @param {any[]} list
 * @param {(x: any, to: string) => void} onTransition
 * @param {(x: any) => void} [onTimeline]
 */
export function ticketTable(list, onTransition, onTimeline) {
  const op = isOperator();
  const now = Date.now();
  return h(
    'table',
    { class: 'table ticket-table' },
    h('thead', null, h('tr', null, ['ticket.col.prio', 'ticket.col.title', 'ticket.col.station', 'ticket.col.status', 'ticket.col.respond', 'ticket.col.resolve', 'ticket.col.actions'].map((k) => h('th', null, t(k))))),
    h(
      'tbody',
      null,
      list.map((x) => {
        const r = countdown(x.respondBy, RESPONDED.has(x.status), now);
        const s = countdown(x.resolveBy, RESOLVED.has(x.status), now);
        return h(
          'tr',
          { 'data-ticket': x.id, 'data-status': x.status, class: `ticket-${x.priority}` },
          h('td', null, h('span', { class: `prio-tag prio-${x.priority.slice(1)}` }, x.priority)),
          h('td', null, onTimeline ? h('a', { href: 'javascript:void 0', class: 'ticket-title', onclick: () => onTimeline(x) }, `${x.id} ${ticketTitle(x)}`) : `${x.id} ${ticketTitle(x)}`, x.address ? h('div', { class: 'muted' }, x.address) : null),
          h('td', null, x.station ? h('a', { href: `#/station/${x.station}` }, stationName(x.station)) : '—'),
          h('td', null, t(`ticket.status.${x.status}`), x.assignee ? h('div', { class: 'muted' }, x.assignee) : null),
          h('td', { class: `countdown ${r.cls}`, 'data-deadline': x.respondBy ?? '', 'data-stopped': RESPONDED.has(x.status) ? '1' : '0' }, r.text),
          h('td', { class: `countdown ${s.cls}`, 'data-deadline': x.resolveBy ?? '', 'data-stopped': RESOLVED.has(x.status) ? '1' : '0' }, s.text),
          // the transitions this role may make from here, as the API decides (GET /api/session)
          h('td', null, op ? (state.transitions[x.status] ?? []).map((to) => h('button', { class: `btn-to-${to}`, onclick: () => onTransition(x, to) }, t(`ticket.to.${to}`))) : null),
        );
      }),
    ),
  );
}
