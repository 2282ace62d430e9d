// The service window (客服窗口): a caller's story as the phone, account number or address is
// typed (past tickets, earlier calls, the serving station live, a planned stop or incident
// covering it now), and the form that files the call. A no-heat call under a known outage joins
// it instead of opening a ticket; either way the reply to read out is shown, ready to copy.
import { ApiError, NotAvailable, api } from './api.js';
import { showErrors, toast } from './dialog.js';
import { fmtTime, fmtValue, h } from './format.js';
import { t } from './i18n.js';
import { KEY_POINTS, KEY_UNITS, state } from './store.js';
import { replies } from './ticket-detail.js';

const PHONE = /^[0-9+\- ()]{5,20}$/;
const ACCOUNT = /^[A-Za-z0-9-]{3,32}$/;

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

/** The outage a no-heat call would join, as a notice. */
function outageNotice(/** @type {any} */ o) {
  return h('p', { class: 'notice outage', 'data-outage': `${o.kind}:${o.id}` }, `${t(`service.outage.${o.kind}`)}: ${o.title} · ${t('service.outage.restoreBy', { at: fmtTime(o.restoreBy) })}`);
}

/** The caller's history: outage now, planned stops, earlier tickets and outage-linked calls. */
function historyView(/** @type {any} */ r) {
  const items = [
    ...(r.tickets ?? []).map((/** @type {any} */ x) => ({ ts: x.createdAt, el: h('li', { 'data-ticket': x.id }, `${fmtTime(x.createdAt)} · #${x.id} ${x.title} · ${t(`ticket.status.${x.status}`)}`) })),
    ...(r.calls ?? []).map((/** @type {any} */ c) => ({ ts: c.ts, el: h('li', { 'data-call': c.id }, `${fmtTime(c.ts)} · C${c.id} ${t('service.call.linked')}: ${c.outage.title}`) })),
  ].sort((a, b) => b.ts - a.ts);
  return [
    r.outage ? outageNotice(r.outage) : null,
    ...(r.plannedStops ?? []).filter((/** @type {any} */ st) => !r.outage || st.id !== r.outage.id).map((/** @type {any} */ st) => h('p', { class: 'notice planned-stop' }, `${t('service.plannedStop')}: ${fmtTime(st.from)} – ${fmtTime(st.to)} ${st.reason}`)),
    items.length ? h('ul', { class: 'caller-tickets' }, items.slice(0, 12).map((i) => i.el)) : h('p', { class: 'muted' }, t('service.noHistory')),
  ];
}

/**
 * Fills `el` with the form; returns the function that redraws the serving station's live values.
 * @param {HTMLElement} el
 * @param {() => Promise<void>} filed runs after a call was filed (the queue refreshes)
 */
export function renderServiceWindow(el, filed) {
  const cats = ['no_heat', 'leak', 'repair', 'complaint', 'consult', 'fee_dispute'];
  const category = /** @type {HTMLSelectElement} */ (h('select', { name: 'category' }, cats.map((c) => h('option', { value: c }, t(`service.cat.${c}`)))));
  const address = /** @type {HTMLInputElement} */ (h('input', { name: 'address', required: true, autocomplete: 'off' }));
  const customer = h('input', { name: 'customer', required: true });
  const phone = /** @type {HTMLInputElement} */ (h('input', { name: 'phone', type: 'tel', required: true, pattern: '[0-9+\\- ()]{5,20}' }));
  const account = /** @type {HTMLInputElement} */ (h('input', { name: 'account', autocomplete: 'off', pattern: '[A-Za-z0-9\\-]{3,32}' }));
  const description = h('textarea', { name: 'description', rows: 3 });
  const station = /** @type {HTMLSelectElement} */ (h('select', { name: 'station' }, h('option', { value: '' }, t('service.station.auto')), state.stations.map((s) => h('option', { value: s.id }, `${s.name} (${s.id})`))));
  // shown only while an outage covers the caller: the clerk may judge the call unrelated
  const openAnyway = /** @type {HTMLInputElement} */ (h('input', { name: 'openAnyway', type: 'checkbox' }));
  const openAnywayRow = h('label', { class: 'check open-anyway', hidden: true }, openAnyway, h('span', null, t('service.openAnyway')));
  const live = h('div', { class: 'service-station' });
  const history = h('div', { class: 'service-history' });
  const result = h('div', { class: 'service-result', 'aria-live': 'polite' });

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let historyTimer;
  const lookupCaller = () => {
    clearTimeout(historyTimer);
    historyTimer = setTimeout(async () => {
      const p = phone.value.trim();
      const a = address.value.trim();
      const n = account.value.trim();
      const q = [PHONE.test(p) ? `phone=${encodeURIComponent(p)}` : '', ACCOUNT.test(n) ? `account=${encodeURIComponent(n)}` : '', a.length >= 2 ? `address=${encodeURIComponent(a)}` : ''].filter(Boolean).join('&');
      // the station the clerk chose decides which outage covers the caller
      const r = q ? await api(`/api/customers/lookup?${q}${station.value ? `&station=${encodeURIComponent(station.value)}` : ''}`).catch(() => null) : null;
      openAnywayRow.hidden = !r?.outage;
      if (!r?.outage) openAnyway.checked = false;
      history.replaceChildren(...(r ? historyView(r) : []).filter(Boolean));
    }, 300);
  };
  phone.addEventListener('input', lookupCaller);
  account.addEventListener('input', lookupCaller);

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
  station.addEventListener('change', () => {
    showStation();
    lookupCaller();
  });

  const form = h(
    'form',
    { class: 'service-form' },
    h('h2', null, t('service.title')),
    h('label', { 'data-field': 'category' }, h('span', null, t('service.category')), category, h('small', { class: 'field-error' })),
    h('label', { 'data-field': 'customer' }, h('span', null, t('service.address')), address, h('small', { class: 'field-error' })),
    h('label', { 'data-field': 'station' }, h('span', null, t('service.station')), station, h('small', { class: 'field-error' })),
    live,
    h('label', null, h('span', null, t('service.customer')), customer),
    h('label', null, h('span', null, t('service.phone')), phone),
    h('label', null, h('span', null, t('service.account')), account),
    history,
    h('label', { 'data-field': 'description' }, h('span', null, t('service.description')), description, h('small', { class: 'field-error' })),
    openAnywayRow,
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, t('service.submit')),
    result,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(/** @type {HTMLFormElement} */ (form));
    const sid = station.value || live.dataset.station || undefined;
    const acct = String(fd.get('account') ?? '').trim();
    /** @type {Record<string, unknown>} */
    const body = {
      source: 'customer',
      category: fd.get('category'),
      customer: { name: fd.get('customer'), phone: fd.get('phone'), address: fd.get('address'), ...(acct ? { account: acct } : {}) },
      description: fd.get('description') || t(`service.cat.${fd.get('category')}`),
    };
    if (sid) body.station = sid;
    if (openAnyway.checked) body.linkToOutage = false;
    showErrors(form, null);
    try {
      const r = await api('/api/tickets', { method: 'POST', body, optional: true });
      const linked = Boolean(r?.call);
      const what = linked ? t('service.linked', { id: `C${r.call.id}`, title: r.outage.title }) : t('service.created', { id: r?.ticket?.id ?? '' });
      toast(what);
      /** @type {HTMLFormElement} */ (form).reset();
      openAnywayRow.hidden = true;
      history.replaceChildren();
      showStation();
      result.replaceChildren(h('p', { class: linked ? 'notice linked' : 'created', 'data-result': linked ? 'linked' : 'ticket' }, what), linked ? outageNotice(r.outage) : null, replies(r?.replies ?? {}));
      await filed();
    } catch (err) {
      if (err instanceof NotAvailable) toast(t('unavailable', { what: t('unavailable.tickets') }), 'error');
      else if (err instanceof ApiError && err.status === 403) toast(t('forbidden'), 'error');
      else showErrors(form, err);
    }
  });
  el.replaceChildren(form);
  return showStation;
}
