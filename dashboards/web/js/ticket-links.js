// Parts of a ticket's detail that point elsewhere: its attachments (photos previewed in place,
// other files downloaded; both fetched with the token), the tickets related to it, and the
// no-heat calls that joined it as an outage (the call-back list when heat is restored).
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';

/** `#/tickets/<id>` for each ticket this one names: related, the alarm ticket it refers to, its incident. */
export function relatedView(/** @type {any} */ tk) {
  const refs = [
    ...(tk.related ?? []).map((/** @type {number} */ id) => ({ id, kind: 'related' })),
    ...(tk.linkedTo ? [{ id: tk.linkedTo, kind: 'linkedTo' }] : []),
    ...(tk.incidentId ? [{ id: tk.incidentId, kind: 'incident' }] : []),
  ];
  if (!refs.length) return null;
  return h(
    'p',
    { class: 'related' },
    h('b', null, `${t('ticket.related')}: `),
    refs.map((r) => h('a', { href: `#/tickets/${r.id}`, class: 'related-ticket', 'data-related': r.id, 'data-kind': r.kind, title: t(`ticket.ref.${r.kind}`) }, `#${r.id} `)),
  );
}

/** Customers whose no-heat call joined this incident or alarm ticket. */
export function linkedCallsView(/** @type {any[]} */ calls) {
  if (!calls.length) return null;
  return h(
    'details',
    { class: 'linked-calls' },
    h('summary', null, t('ticket.linkedCalls', { n: calls.length })),
    h(
      'ul',
      null,
      calls.map((c) => h('li', { 'data-call': c.id }, `${fmtTime(c.ts)} · C${c.id} · ${c.customer.name} ${c.customer.phone} · ${c.customer.address}`)),
    ),
  );
}

/**
 * The attachments, photos as thumbnails (click to enlarge); `upload` (null when the role or the
 * ticket's state allows none) is given the chosen file.
 * @param {string} id ticket
 * @param {any[]} list
 * @param {((f: File) => Promise<void>) | null} upload
 * @param {(path: string) => Promise<Blob>} blob fetches a file with the token
 */
export function attachmentsView(id, list, upload, blob) {
  const items = list.map((a) => {
    const path = `/api/tickets/${encodeURIComponent(id)}/attachments/${a.id}`;
    const item = h('li', { class: 'attachment', 'data-attachment': a.id, 'data-mime': a.mime }, `${a.filename} · ${Math.ceil(a.size / 1024)} KB · ${a.actor} · ${fmtTime(a.ts)}`);
    if (a.mime.startsWith('image/')) {
      const img = /** @type {HTMLImageElement} */ (h('img', { class: 'attachment-preview', alt: a.filename }));
      img.addEventListener('click', () => img.classList.toggle('large'));
      void blob(path).then(
        (b) => (img.src = URL.createObjectURL(b)),
        () => img.remove(),
      );
      item.prepend(img);
    } else {
      const save = async () => {
        const url = URL.createObjectURL(await blob(path));
        const link = /** @type {HTMLAnchorElement} */ (h('a', { href: url, download: a.filename }));
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      };
      item.append(' ', h('button', { type: 'button', class: 'btn-download', onclick: save }, t('attachment.download')));
    }
    return item;
  });
  const picker = upload ? /** @type {HTMLInputElement} */ (h('input', { type: 'file', class: 'attachment-upload', accept: 'image/*,video/*,application/pdf' })) : null;
  picker?.addEventListener('change', () => {
    const f = picker.files?.[0];
    if (f && upload) void upload(f);
  });
  if (!items.length && !picker) return null;
  return h(
    'div',
    { class: 'attachments' },
    h('b', null, t('attachment.title')),
    items.length ? h('ul', null, items) : null,
    picker ? h('label', { class: 'upload' }, h('span', null, t('attachment.upload')), picker) : null,
  );
}
