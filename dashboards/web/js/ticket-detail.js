// One ticket opened under its queue row: the reply texts ready to copy, its callbacks and
// timeline, its attachments (photos previewed), related tickets and the calls linked to it, and
// what the role may do beyond a status move: change the priority (with a reason), record a
// callback to the customer (phone or visit, satisfied or not), upload a photo, link a related
// ticket or file a new one from here. Every form keeps the server's 400 next to the field it
// names (dialog.js).
import { api, apiBlob } from './api.js';
import { attachmentsView, linkedCallsView, relatedView } from './ticket-links.js';
import { formDialog, toast } from './dialog.js';
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { isOperator } from './store.js';

const PRIORITIES = ['P1', 'P2', 'P3', 'P4'];

/** The timeline as text lines, newest last. */
function timelineList(/** @type {any[]} */ events) {
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) => {
      const label = t(`ticket.kind.${e.kind}`);
      const what = e.kind === 'priority' ? `${t('ticket.priority')} ${e.detail?.from ?? ''} → ${e.detail?.to ?? ''}` : e.to ? t(`ticket.status.${e.to}`) : label === `ticket.kind.${e.kind}` ? e.kind : label;
      return h('li', { 'data-kind': e.kind }, `${fmtTime(e.ts)} · ${what} · ${e.actor ?? ''} ${e.note ?? ''}`);
    }),
  );
}

function callbackList(/** @type {any[]} */ callbacks) {
  if (!callbacks.length) return null;
  return h(
    'ul',
    { class: 'callbacks' },
    callbacks.map((c) =>
      h('li', { 'data-satisfied': String(c.satisfied) }, `${fmtTime(c.ts)} · ${t(`callback.channel.${c.channel ?? 'phone'}`)} · ${c.reached ? (c.satisfied === false ? t('callback.unsatisfied') : c.satisfied ? t('callback.satisfied') : t('callback.reached')) : t('callback.unreached')} · ${c.actor} ${c.note ?? ''}`),
    ),
  );
}

/** The reply texts in both languages, each with a copy button. */
export function replies(/** @type {Record<string, string>} */ texts) {
  return h(
    'div',
    { class: 'replies' },
    Object.entries(texts ?? {}).map(([lang, text]) => {
      const area = /** @type {HTMLTextAreaElement} */ (h('textarea', { readonly: true, rows: 2, 'data-lang': lang }, text));
      const copy = async () => {
        area.select();
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          document.execCommand('copy'); // pages served over plain HTTP have no clipboard API
        }
        toast(t('reply.copied'));
      };
      return h('label', { class: 'reply' }, h('span', null, lang), area, h('button', { type: 'button', class: 'btn-copy', onclick: copy }, t('reply.copy')));
    }),
  );
}

/**
 * Fills `cell` with ticket `id`'s detail; `changed()` runs after any change was accepted.
 * @param {HTMLElement} cell
 * @param {string} id
 * @param {() => Promise<void>} changed
 */
export async function renderTicketDetail(cell, id, changed) {
  const body = await api(`/api/tickets/${encodeURIComponent(id)}`);
  const tk = body.ticket;
  const post = (/** @type {string} */ path, /** @type {unknown} */ payload) => api(`/api/tickets/${encodeURIComponent(id)}/${path}`, { method: 'POST', body: payload });
  const act = async (/** @type {Promise<unknown>} */ p) => {
    if ((await p) !== null) await changed();
  };
  const priority = () =>
    act(
      formDialog({
        title: `${t('ticket.priority.change')}: ${id}`,
        fields: [
          { name: 'priority', label: t('ticket.priority'), value: tk.priority, options: PRIORITIES.map((p) => ({ value: p, label: p })) },
          { name: 'reason', label: t('ticket.priority.reason'), type: 'textarea' },
        ],
        submit: (v) => post('priority', { priority: v.priority, reason: v.reason }),
      }),
    );
  const callback = () =>
    act(
      formDialog({
        title: `${t('callback.record')}: ${id}`,
        fields: [
          { name: 'channel', label: t('callback.channel'), value: 'phone', options: ['phone', 'visit'].map((c) => ({ value: c, label: t(`callback.channel.${c}`) })) },
          {
            name: 'result',
            label: t('callback.result'),
            value: 'satisfied',
            options: ['satisfied', 'unsatisfied', 'reached', 'unreached'].map((r) => ({ value: r, label: t(`callback.${r}`) })),
          },
          { name: 'note', label: t('ticket.note'), type: 'textarea' },
        ],
        submit: (v) =>
          post('callback', {
            channel: v.channel,
            reached: v.result !== 'unreached',
            ...(v.result === 'satisfied' || v.result === 'unsatisfied' ? { satisfied: v.result === 'satisfied' } : {}),
            ...(v.note ? { note: v.note } : {}),
          }),
      }),
    );
  const relate = () =>
    act(
      formDialog({
        title: `${t('ticket.link')}: ${id}`,
        fields: [
          { name: 'ticket', label: t('ticket.link.number'), type: 'number', required: true },
          { name: 'note', label: t('ticket.note'), type: 'textarea' },
        ],
        submit: (v) => post('links', { ticket: Number(v.ticket), ...(v.note ? { note: v.note } : {}) }),
      }),
    );
  // a new need found here (on a callback, on site) becomes a new ticket linked to this one
  const fileRelated = () =>
    act(
      formDialog({
        title: `${t('ticket.newRelated')}: ${id}`,
        fields: [
          tk.customer
            ? { name: 'category', label: t('service.category'), value: 'repair', options: ['repair', 'no_heat', 'leak', 'complaint', 'consult', 'fee_dispute'].map((c) => ({ value: c, label: t(`service.cat.${c}`) })) }
            : { name: 'priority', label: t('ticket.priority'), value: 'P3', options: PRIORITIES.map((p) => ({ value: p, label: p })) },
          { name: 'description', label: t('service.description'), type: 'textarea', required: true },
        ],
        submit: (v) =>
          api('/api/tickets', {
            method: 'POST',
            body: {
              relatedTo: Number(id),
              description: v.description,
              ...(tk.customer ? { source: 'customer', category: v.category, customer: tk.customer } : { source: 'manual', priority: v.priority }),
              ...(tk.station ? { station: tk.station } : {}),
            },
          }),
      }),
    );
  const upload = async (/** @type {File} */ file) => {
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      await post('attachments', fd);
      toast(t('attachment.uploaded', { name: file.name }));
      await changed();
    } catch (err) {
      toast(t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
  };
  const open = tk.status !== 'closed';
  cell.replaceChildren(
    h(
      'div',
      { class: 'ticket-detail', 'data-ticket-detail': id },
      isOperator()
        ? h(
            'div',
            { class: 'ticket-actions' },
            open ? h('button', { type: 'button', class: 'btn-priority', onclick: priority }, t('ticket.priority.change')) : null,
            tk.source === 'customer' ? h('button', { type: 'button', class: 'btn-callback', onclick: callback }, t('callback.record')) : null,
            h('button', { type: 'button', class: 'btn-link', onclick: relate }, t('ticket.link')),
            h('button', { type: 'button', class: 'btn-new-related', onclick: fileRelated }, t('ticket.newRelated')),
          )
        : null,
      tk.team || tk.assignee ? h('p', { class: 'muted' }, `${t('ticket.team')}: ${tk.team ?? '—'} · ${t('ticket.assignee')}: ${tk.assignee ?? '—'}`) : null,
      tk.resolutionCode ? h('p', { class: 'resolution', 'data-code': tk.resolutionCode }, `${t('ticket.resolution')}: ${t(`resolution.${tk.resolutionCode}`)}`) : null,
      tk.source === 'customer' ? replies(body.replies) : null,
      callbackList(body.callbacks ?? []),
      relatedView(tk),
      linkedCallsView(body.linkedCalls ?? []),
      attachmentsView(id, body.attachments ?? [], isOperator() && open ? upload : null, apiBlob),
      h('b', null, t('ticket.timeline')),
      timelineList(body.timeline ?? []),
    ),
  );
}
