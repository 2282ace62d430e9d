// The case library (案例库): resolved tickets searched by resolution code and words, newest
// first, with how each was put right — to answer the next caller with the same problem.
// A row opens the ticket whole (#/tickets/<id>).
import { api, listOf } from './api.js';
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';

const PAGE = 50;

/** A resolution code's label, or the code where the page has none. */
const codeLabel = (/** @type {string} */ c) => (t(`resolution.${c}`) === `resolution.${c}` ? c : t(`resolution.${c}`));

export class CaseLibrary {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {string[] | null} */
    this.codes = null;
    this.query = { resolution: '', q: '' };
  }

  async show() {
    this.codes ??= await api('/api/tickets/resolution-codes').catch(() => []);
    const codes = /** @type {string[]} */ (this.codes);
    const resolution = /** @type {HTMLSelectElement} */ (h('select', { name: 'resolution' }, h('option', { value: '' }, t('cases.anyCode')), codes.map((c) => h('option', { value: c, selected: c === this.query.resolution }, codeLabel(c)))));
    const words = /** @type {HTMLInputElement} */ (h('input', { name: 'q', type: 'search', value: this.query.q, placeholder: t('cases.words') }));
    const results = h('div', { class: 'case-results' });
    const form = h('form', { class: 'case-search' }, resolution, words, h('button', { type: 'submit', class: 'primary' }, t('cases.search')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.query = { resolution: resolution.value, q: words.value.trim() };
      void this.search(results);
    });
    this.el.replaceChildren(h('h2', null, t('cases.title')), form, results);
    await this.search(results);
  }

  async search(/** @type {HTMLElement} */ results) {
    const p = new URLSearchParams({ status: 'resolved,verified,closed', sort: 'newest', limit: String(PAGE) });
    if (this.query.resolution) p.set('resolution', this.query.resolution);
    if (this.query.q) p.set('q', this.query.q);
    let list;
    try {
      // one page: the newest cases are the useful ones; the words narrow it
      list = listOf(await api(`/api/tickets?${p}`, { optional: true }), ['tickets']);
    } catch (err) {
      results.replaceChildren(h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    results.replaceChildren(
      list.length
        ? h(
            'table',
            { class: 'table case-table' },
            h('thead', null, h('tr', null, ['cases.col.ticket', 'cases.col.code', 'cases.col.note', 'cases.col.resolved'].map((k) => h('th', null, t(k))))),
            h(
              'tbody',
              null,
              list.map((/** @type {any} */ x) =>
                h(
                  'tr',
                  { 'data-case': x.id, 'data-code': x.resolutionCode ?? '' },
                  h('td', null, h('a', { href: `#/tickets/${x.id}` }, `#${x.id} ${x.title}`), x.description && x.description !== x.title ? h('div', { class: 'muted' }, x.description) : null),
                  h('td', null, x.resolutionCode ? codeLabel(x.resolutionCode) : '—'),
                  h('td', { class: 'case-note' }, x.resolutionNote ?? ''),
                  h('td', null, x.resolvedAt ? fmtTime(x.resolvedAt) : '—'),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('cases.none')),
    );
  }
}
