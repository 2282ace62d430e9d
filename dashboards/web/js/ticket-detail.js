// One ticket opened under its queue row: the reply texts ready to copy, its callbacks and
// timeline, and what the role may do beyond a status move: change the priority (with a reason),
// record a callback to the customer (phone or visit, satisfied or not). Every form keeps the
// server's 400 next to the field it names (dialog.js).
import { api } from './api.js';
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
function replies(/** @type {Record<string, string>} */ texts) {
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
          )
        : null,
      tk.team || tk.assignee ? h('p', { class: 'muted' }, `${t('ticket.team')}: ${tk.team ?? '—'} · ${t('ticket.assignee')}: ${tk.assignee ?? '—'}`) : null,
      tk.resolutionCode ? h('p', { class: 'resolution', 'data-code': tk.resolutionCode }, `${t('ticket.resolution')}: ${t(`resolution.${tk.resolutionCode}`)}`) : null,
      tk.source === 'customer' ? replies(body.replies) : null,
      callbackList(body.callbacks ?? []),
      h('b', null, t('ticket.timeline')),
      timelineList(body.timeline ?? []),
    ),
  );
}
