// The engineers' analytics (分析, #/analytics): the network ranking (GET /api/analytics/ranking:
// heat per heated m² and degree-day, primary return, flow per m², make-up; outliers against the
// network median marked; last 30 days, this month or the season so far; a row opens the station),
// and two sub-views: the network map (#/analytics/map) and one station's scatter and season
// overlay (#/analytics/scatter/<id>).
import { api } from './api.js';
import { NetworkMap } from './analytics-map.js';
import { StationAnalytics } from './analytics-station.js';
import { fill, h } from './format.js';
import { t } from './i18n.js';

const TABS = ['ranking', 'map', 'scatter'];
const PERIODS = ['30d', 'month', 'season'];
/** what the server sorts by (descending) */
const SORTS = ['intensity', 'priReturnC', 'flowPerM2', 'makeupPct', 'heatGJ', 'curveDeviationMin'];
/**
 * [field, i18n key, digits, scale, outlier metric] in column order. GJ/(m²·HDD) is shown as
 * kJ/(m²·HDD) (× 10⁶): a station's figure is then tens, not 0.0000x.
 */
const COLUMNS = /** @type {Array<[string, string, number, number, boolean]>} */ ([
  ['heatedAreaM2', 'arank.col.area', 0, 1, false],
  ['heatGJ', 'arank.col.heat', 1, 1, false],
  ['hdd', 'arank.col.hdd', 0, 1, false],
  ['intensity', 'arank.col.intensity', 1, 1e6, true],
  ['priReturnC', 'arank.col.priReturn', 1, 1, true],
  ['flowPerM2', 'arank.col.flowPerM2', 2, 1, true],
  ['makeupM3', 'arank.col.makeup', 1, 1, false],
  ['makeupPct', 'arank.col.makeupPct', 2, 1, true],
  ['curveDeviationMin', 'arank.col.curveDev', 0, 1, false],
]);

/**
 * The ranking's query for a period. The server counts the days on its own clock in the site's
 * time zone, up to today: the 30 days by default, the month or the season so far by `period`.
 */
const PERIOD_QUERY = { '30d': '', month: 'period=month&', season: 'period=season&' };

const num = (/** @type {number | null | undefined} */ v, /** @type {number} */ digits, scale = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : (v * scale).toFixed(digits));

export class AnalyticsPage {
  /** @param {HTMLElement} view */
  constructor(view) {
    this.view = view;
    this.period = '30d';
    this.sort = 'intensity';
    this.tab = 'ranking';
    this.tabsEl = h('div', { class: 'alarm-tabs analytics-tabs', role: 'tablist' });
    this.body = h('div', { class: 'analytics-body' });
    this.rankingEl = h('div', { class: 'arank' });
    this.map = new NetworkMap(h('div', { class: 'amap' }));
    this.station = new StationAnalytics(h('div', { class: 'astation' }));
  }

  /** Shows the sub-view the hash names: `#/analytics[/map|/scatter/<id>]`. */
  async show(/** @type {string} */ hash) {
    const [, sub, arg] = hash.replace(/^#\/?/, '').split('/');
    this.tab = TABS.includes(sub) ? sub : 'ranking';
    fill(this.view, this.tabsEl, this.body);
    this.view.dataset.tab = this.tab;
    this.renderTabs(this.tab === 'scatter' && arg ? decodeURIComponent(arg) : this.station.id);
    if (this.tab !== 'map') this.map.hide();
    if (this.tab === 'ranking') {
      fill(this.body, this.rankingEl);
      await this.loadRanking();
    } else if (this.tab === 'map') {
      fill(this.body, h('h2', null, t('amap.title')), this.map.el);
      await this.map.show();
    } else {
      fill(this.body, this.station.el);
      await this.station.show(arg ? decodeURIComponent(arg) : null);
    }
  }

  hide() {
    this.map.hide();
  }

  /** Rebuilt in the new language on the next show. */
  reset() {
    this.view.replaceChildren();
  }

  renderTabs(/** @type {string | null} */ station) {
    const href = { ranking: '#/analytics', map: '#/analytics/map', scatter: `#/analytics/scatter${station ? `/${encodeURIComponent(station)}` : ''}` };
    fill(this.tabsEl, TABS.map((k) => h('a', { class: `alarm-tab${k === this.tab ? ' active' : ''}`, 'data-tab': k, href: /** @type {any} */ (href)[k] }, t(`analytics.tab.${k}`))));
  }

  async loadRanking() {
    const period = /** @type {HTMLSelectElement} */ (h('select', { class: 'arank-period' }, PERIODS.map((p) => h('option', { value: p, selected: p === this.period }, t(`arank.period.${p}`)))));
    period.addEventListener('change', () => {
      this.period = period.value;
      void this.loadRanking();
    });
    const sort = /** @type {HTMLSelectElement} */ (h('select', { class: 'arank-sort' }, SORTS.map((m) => h('option', { value: m, selected: m === this.sort }, t(`arank.sort.${m}`)))));
    sort.addEventListener('change', () => {
      this.sort = sort.value;
      void this.loadRanking();
    });
    const msg = h('p', { class: 'muted arank-msg' }, '…');
    const table = h('div', { class: 'arank-table' });
    fill(this.rankingEl, h('h2', null, t('arank.title')), h('div', { class: 'toolbar' }, h('label', null, t('arank.period'), period), h('label', null, t('arank.sort'), sort)), msg, table);
    const want = `${this.period}/${this.sort}`;
    this.rankingEl.dataset.loaded = '';
    let body;
    try {
      body = await api(`/api/analytics/ranking?${/** @type {Record<string, string>} */ (PERIOD_QUERY)[this.period] ?? ''}sort=${this.sort}`);
    } catch (err) {
      msg.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
      return;
    }
    if (`${this.period}/${this.sort}` !== want) return;
    msg.textContent = t('arank.range', { from: body.from, to: body.to, n: body.stations.length });
    table.replaceChildren(this.rankingTable(body));
    this.rankingEl.dataset.loaded = want;
  }

  /** @param {{ median: Record<string, number | null>, stations: any[] }} body */
  rankingTable(body) {
    const head = h(
      'tr',
      null,
      h('th', { class: 'num' }, '#'),
      h('th', null, t('arank.col.station')),
      h('th', null, t('arank.col.district')),
      COLUMNS.map(([field, key]) => h('th', { class: `num${field === this.sort ? ' sorted' : ''}`, 'data-col': field }, t(key))),
      h('th', null, ''),
    );
    const median = h(
      'tr',
      { class: 'arank-median' },
      h('td', null, ''),
      h('td', { colspan: 2 }, t('arank.median')),
      COLUMNS.map(([field, , digits, scale, outlier]) => h('td', { class: 'num' }, outlier ? num(body.median[field], digits, scale) : '')),
      h('td', null, ''),
    );
    const rows = body.stations.map((st, i) => {
      const outliers = st.outliers ?? {};
      const open = () => (location.hash = `#/station/${encodeURIComponent(st.station)}`);
      return h(
        'tr',
        { class: `arank-row${Object.keys(outliers).length ? ' has-outlier' : ''}`, 'data-station': st.station, onclick: open, tabindex: 0, onkeydown: (/** @type {KeyboardEvent} */ e) => e.key === 'Enter' && open() },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', null, h('a', { href: `#/station/${encodeURIComponent(st.station)}` }, st.name ?? st.station), ' ', h('span', { class: 'muted' }, st.station)),
        h('td', null, st.area ?? ''),
        COLUMNS.map(([field, , digits, scale, outlier]) => {
          const o = outlier ? outliers[field] : undefined;
          return h(
            'td',
            { class: `num${o ? ` outlier outlier-${o}` : ''}`, 'data-col': field, ...(o ? { 'data-outlier': o, title: t(`arank.outlier.${o}`) } : {}) },
            num(st[field], digits, scale),
            o ? h('span', { class: 'outlier-mark' }, o === 'high' ? ' ▲' : ' ▼') : null,
          );
        }),
        h('td', null, h('a', { class: 'arank-scatter', href: `#/analytics/scatter/${encodeURIComponent(st.station)}`, onclick: (/** @type {Event} */ e) => e.stopPropagation() }, t('arank.scatter'))),
      );
    });
    return h('table', { class: 'table arank-list' }, h('thead', null, head, median), h('tbody', null, rows));
  }
}
