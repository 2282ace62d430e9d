// Ticket queue with live countdowns to respond-by and resolve-by (red when breached), lifecycle
// actions for operators, a ticket's timeline, and the service-window form for customer tickets.
import { ApiError, NotAvailable, api, apiAllPages } from './api.js';
import { knownMessages, normAlarm, stationName } from './alarms.js';
import { ask, toast } from './dialog.js';
import { renderTicketDetail } from './ticket-detail.js';
import { fmtDuration, fmtTime, fmtValue, h } from './format.js';
import { getLang, t } from './i18n.js';
import { KEY_POINTS, KEY_UNITS, emit, isOperator, state } from './store.js';

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
    setInterval(() => this.tick(), 1000);
  }

  async refresh() {
    try {
      // every ticket not closed, page by page, in the order the server keeps: the next deadline due first
      const list = await apiAllPages('/api/tickets?sort=deadline&limit=1000', { optional: true });
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
    this.view.replaceChildren(h('h2', null, t('ticket.queue')), list.length ? ticketTable(list, (x, to) => this.transition(x, to), (x) => this.toggleTimeline(x)) : h('p', { class: 'muted' }, t('ticket.none')));
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

  toggleTimeline(/** @type {any} */ x) {
    this.openTimeline = this.openTimeline === x.id ? null : x.id;
    this.render();
  }

  async showTimeline(/** @type {string} */ id) {
    const row = this.view.querySelector(`tr[data-ticket="${CSS.escape(id)}"]`);
    if (!row) return;
    const cell = h('td', { colspan: 7 }, '…');
    row.after(h('tr', { class: 'timeline-row' }, cell));
    try {
      await renderTicketDetail(cell, id, () => this.refresh());
    } catch (err) {
      cell.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
    }
  }

  /** The service-window form (客服窗口): category, address → serving station with its live values. */
  renderService() {
    const cats = ['no_heat', 'leak', 'repair', 'complaint', 'consult', 'fee_dispute'];
    const category = /** @type {HTMLSelectElement} */ (h('select', { name: 'category' }, cats.map((c) => h('option', { value: c }, t(`service.cat.${c}`)))));
    const address = /** @type {HTMLInputElement} */ (h('input', { name: 'address', required: true, autocomplete: 'off' }));
    const customer = h('input', { name: 'customer', required: true });
    const phone = /** @type {HTMLInputElement} */ (h('input', { name: 'phone', type: 'tel', required: true, pattern: '[0-9+\\- ()]{5,20}' }));
    const description = h('textarea', { name: 'description', rows: 3 });
    const station = /** @type {HTMLSelectElement} */ (h('select', { name: 'station' }, h('option', { value: '' }, t('service.station.auto')), state.stations.map((s) => h('option', { value: s.id }, `${s.name} (${s.id})`))));
    const live = h('div', { class: 'service-station' });
    // the caller's story: past tickets by phone or address, and planned stops at their station
    const history = h('div', { class: 'service-history' });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let historyTimer;
    const lookupCaller = () => {
      clearTimeout(historyTimer);
      historyTimer = setTimeout(async () => {
        const p = phone.value.trim();
        const a = address.value.trim();
        const q = [/^[0-9+\- ()]{5,20}$/.test(p) ? `phone=${encodeURIComponent(p)}` : '', a.length >= 2 ? `address=${encodeURIComponent(a)}` : ''].filter(Boolean).join('&');
        if (!q) return history.replaceChildren();
        const r = await api(`/api/customers/lookup?${q}`).catch(() => null);
        if (!r) return history.replaceChildren();
        history.replaceChildren(
          ...(r.plannedStops ?? []).map((/** @type {any} */ st) => h('p', { class: 'notice planned-stop' }, `${t('service.plannedStop')}: ${fmtTime(st.from)} – ${fmtTime(st.to)} ${st.reason}`)),
          r.tickets?.length
            ? h(
                'ul',
                { class: 'caller-tickets' },
                r.tickets.slice(0, 10).map((/** @type {any} */ x) => h('li', { 'data-ticket': x.id }, `${fmtTime(x.createdAt)} · #${x.id} ${x.title} · ${t(`ticket.status.${x.status}`)}`)),
              )
            : h('p', { class: 'muted' }, t('service.noHistory')),
        );
      }, 300);
    };
    phone.addEventListener('input', lookupCaller);
    /** @type {string | null} station the server maps the address to */
    let served = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let lookupTimer;
    const lookup = () => {
      clearTimeout(lookupTimer);
      lookupTimer = setTimeout(async () => {
        const a = address.value.trim();
        served = null;
        if (a) {
          try {
            served = (await api(`/api/tickets/addresses/lookup?address=${encodeURIComponent(a)}`)).station ?? null;
          } catch {
            served = null; // unknown address (404) or no ticket API: fall back to matching names
          }
        }
        showStation();
      }, 250);
    };
    const showStation = () => {
      const s = state.byId.get(station.value) ?? (served ? state.byId.get(served) : undefined) ?? matchStation(address.value);
      live.replaceChildren(
        s
          ? h(
              'div',
              { class: 'service-live', 'data-station': s.id },
              h('a', { href: `#/station/${s.id}` }, `${s.name} (${s.id}) · ${s.area ?? ''} · ${t(`comm.${s.comm}`)}`),
              h('div', { class: 'kv-row' }, KEY_POINTS.map((k) => h('span', { class: 'kv' }, h('i', null, t(`point.${k}`)), h('b', { 'data-k': k }, fmtValue(s.values?.[k]?.value, /** @type {any} */ (KEY_UNITS)[k]))))),
            )
          : '',
      );
      live.dataset.station = s ? s.id : '';
    };
    address.addEventListener('input', () => {
      showStation();
      lookup();
      lookupCaller();
    });
    station.addEventListener('change', showStation);
    this.refreshServiceLive = showStation;
    const form = h(
      'form',
      { class: 'service-form' },
      h('h2', null, t('service.title')),
      h('label', null, h('span', null, t('service.category')), category),
      h('label', null, h('span', null, t('service.address')), address),
      h('label', null, h('span', null, t('service.station')), station),
      live,
      h('label', null, h('span', null, t('service.customer')), customer),
      h('label', null, h('span', null, t('service.phone')), phone),
      history,
      h('label', null, h('span', null, t('service.description')), description),
      h('button', { type: 'submit', class: 'primary' }, t('service.submit')),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(/** @type {HTMLFormElement} */ (form));
      const sid = station.value || live.dataset.station || undefined;
      /** @type {Record<string, unknown>} */
      const body = {
        source: 'customer',
        category: fd.get('category'),
        customer: { name: fd.get('customer'), phone: fd.get('phone'), address: fd.get('address') },
        description: fd.get('description') || t(`service.cat.${fd.get('category')}`),
      };
      if (sid) body.station = sid;
      try {
        const created = await api('/api/tickets', { method: 'POST', body, optional: true });
        toast(t('service.created', { id: created?.ticket?.id ?? created?.id ?? '' }));
        /** @type {HTMLFormElement} */ (form).reset();
        showStation();
        await this.refresh();
      } catch (err) {
        toast(
          err instanceof NotAvailable ? t('unavailable', { what: t('unavailable.tickets') }) : err instanceof ApiError && err.status === 403 ? t('forbidden') : t('error', { msg: String(/** @type {Error} */ (err).message) }),
          'error',
        );
      }
    });
    this.service.replaceChildren(form);
  }

  /** @type {(() => void) | undefined} */
  refreshServiceLive = undefined;
}

/** The station serving an address: the longest station name or area mentioned in it. */
export function matchStation(/** @type {string} */ address) {
  const a = address.trim();
  if (!a) return undefined;
  let best;
  let bestLen = 0;
  for (const s of state.stations) {
    if (a.includes(s.name) && s.name.length > bestLen) [best, bestLen] = [s, s.name.length];
    if (a.includes(s.id) && s.id.length > bestLen) [best, bestLen] = [s, s.id.length];
  }
  if (best) return best;
  const area = state.stations.find((s) => s.area && (a.includes(s.area) || a.includes(s.area.replace(/区$/, ''))));
  return area;
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
