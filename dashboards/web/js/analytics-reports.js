// The engineers' reports in the reports view: the daily station report (#/reports/station-daily,
// GET /api/reports/station-daily), the monthly network report (#/reports/network-monthly, GET
// /api/reports/network-monthly) and the files the schedule wrote (#/reports/files, GET
// /api/reports/files). Pick a day or a month, read the tables, download CSV or Excel through the
// service reports' download buttons (reports.js exportButtons: the token goes in a header).
import { api, saveDownload } from './api.js';
import { toast } from './dialog.js';
import { fill, h } from './format.js';
import { getLang, t } from './i18n.js';
import { reportTabs } from './report-tabs.js';
import { exportButtons } from './reports.js';

/** @typedef {'station-daily' | 'network-monthly' | 'files'} Kind */
export const ANALYTICS_REPORTS = ['station-daily', 'network-monthly', 'files'];
const METRICS = ['intensity', 'priReturnC', 'flowPerM2', 'makeupPct'];

/** `YYYY-MM-DD` of `ms` in the time zone. */
function localDay(/** @type {number} */ ms, /** @type {string} */ timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

const num = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? '—' : String(v));
const pct = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? '—' : `${v > 0 ? '+' : ''}${v.toFixed(1)} %`);
/** GJ/(m²·HDD) as the report files show it: kJ/(m²·HDD), two decimals */
const kJ = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? null : Math.round(v * 1e8) / 100);

/**
 * A table; a cell is a value or `{ v, cls }`. Numbers right-aligned.
 * @param {string} cls @param {string[]} headers @param {any[][]} rows @param {(i: number) => Record<string, any> | null} [rowAttrs]
 */
function table(cls, headers, rows, rowAttrs) {
  const cell = (/** @type {any} */ c, /** @type {number} */ i) => {
    const { v, cls: extra } = c !== null && typeof c === 'object' && 'v' in c ? c : { v: c, cls: '' };
    const isNum = i > 0 && (typeof v === 'number' || /^[+-]?\d+(\.\d+)?( %| KB)?$/.test(String(v)));
    return h('td', { class: [isNum ? 'num' : '', extra].filter(Boolean).join(' ') || null }, v instanceof Node ? v : num(v));
  };
  return h(
    'table',
    { class: `table report-table ${cls}` },
    h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
    h('tbody', null, rows.map((r, i) => h('tr', rowAttrs?.(i) ?? null, r.map(cell)))),
  );
}

const stationLink = (/** @type {string} */ id) => h('a', { href: `#/station/${encodeURIComponent(id)}` }, id);

export class AnalyticsReports {
  /** @param {HTMLElement} view the reports view, shared with the service report */
  constructor(view) {
    this.view = view;
    this.timeZone = '';
    /** @type {Kind} */
    this.kind = 'station-daily';
    this.date = '';
    this.month = '';
    this.body = h('div', { class: 'areport-body' });
  }

  /** @param {string} kind one of ANALYTICS_REPORTS */
  async show(kind) {
    if (!this.timeZone) {
      const cfg = await api('/api/ui-config').catch(() => null);
      this.timeZone = cfg?.timezone ?? 'Asia/Shanghai';
      const yesterday = localDay(Date.now() - 86_400_000, this.timeZone);
      this.date = yesterday;
      // the last whole month
      const [y, m] = localDay(Date.now(), this.timeZone).split('-').map(Number);
      this.month = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
    }
    const next = /** @type {Kind} */ (ANALYTICS_REPORTS.includes(kind) ? kind : 'station-daily');
    if (next !== this.kind || !this.view.querySelector('.areport-body')) {
      this.kind = next;
      this.build();
    }
    await this.load();
  }

  reset() {
    this.view.replaceChildren();
  }

  build() {
    const today = localDay(Date.now(), this.timeZone);
    /** @type {any[]} */
    let tools = [];
    if (this.kind === 'station-daily') {
      const date = h('input', { type: 'date', name: 'date', class: 'areport-date', max: today, value: this.date });
      date.addEventListener('change', () => {
        if (!date.value) return;
        this.date = date.value;
        void this.load();
      });
      tools = [h('label', null, t('areport.date'), date), exportButtons(() => `/api/reports/station-daily?date=${this.date}`, () => `${t('areport.daily.file')}-${this.date}`)];
    } else if (this.kind === 'network-monthly') {
      const month = h('input', { type: 'month', name: 'month', class: 'areport-month', max: today.slice(0, 7), value: this.month });
      month.addEventListener('change', () => {
        if (!month.value) return;
        this.month = month.value;
        void this.load();
      });
      tools = [h('label', null, t('areport.month'), month), exportButtons(() => `/api/reports/network-monthly?month=${this.month}`, () => `${t('areport.monthly.file')}-${this.month}`)];
    }
    fill(this.view, reportTabs(this.kind), h('h2', null, t(`areport.tab.${this.kind}`)), tools.length ? h('div', { class: 'toolbar report-tools' }, tools) : null, this.body);
  }

  async load() {
    const want = this.kind === 'station-daily' ? `station-daily/${this.date}` : this.kind === 'network-monthly' ? `network-monthly/${this.month}` : 'files';
    const path = this.kind === 'station-daily' ? `/api/reports/station-daily?date=${this.date}` : this.kind === 'network-monthly' ? `/api/reports/network-monthly?month=${this.month}` : '/api/reports/files';
    this.view.dataset.loaded = '';
    let r;
    try {
      r = await api(`${path}${path.includes('?') ? '&' : '?'}lang=${getLang()}`);
    } catch (err) {
      fill(this.body, h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    const now = this.kind === 'station-daily' ? `station-daily/${this.date}` : this.kind === 'network-monthly' ? `network-monthly/${this.month}` : 'files';
    if (want !== now) return; // a newer choice is on its way
    if (this.kind === 'station-daily') this.renderDaily(r);
    else if (this.kind === 'network-monthly') this.renderMonthly(r);
    else this.renderFiles(r);
    this.view.dataset.loaded = want;
  }

  /** @param {any} r GET /api/reports/station-daily */
  renderDaily(r) {
    const s = r.totals;
    const kpi = (/** @type {string} */ id, /** @type {any} */ v) => h('div', { class: 'kpi', 'data-kpi': id }, h('span', null, t(`areport.kpi.${id}`)), h('b', null, num(v)));
    fill(
      this.body,
      h(
        'div',
        { class: 'kpi-row' },
        kpi('heatGJ', s.heatGJ),
        kpi('makeupM3', s.makeupM3),
        kpi('meanOutdoorC', s.meanOutdoorC),
        kpi('alarmsRaised', s.alarmsRaised),
        kpi('ticketsOpened', s.ticketsOpened),
        kpi('reporting', `${s.reporting} / ${s.stations}`),
      ),
      table(
        'areport-daily',
        ['station', 'name', 'area', 'heatGJ', 'makeupM3', 'meanSupplyC', 'meanReturnC', 'meanOutdoorC', 'alarmsRaised', 'ticketsOpened', 'coverage'].map((k) => t(`areport.col.${k}`)),
        [
          ...r.stations.map((/** @type {any} */ x) => [stationLink(x.station), x.name, x.area, x.heatGJ, x.makeupM3, x.meanSupplyC, x.meanReturnC, x.meanOutdoorC, x.alarmsRaised, x.ticketsOpened, x.coveragePct]),
          [t('report.total'), '', '', s.heatGJ, s.makeupM3, '', '', s.meanOutdoorC, s.alarmsRaised, s.ticketsOpened, ''],
        ],
        (i) => (i < r.stations.length ? { 'data-station': r.stations[i].station } : { class: 'areport-total' }),
      ),
    );
  }

  /** @param {any} r GET /api/reports/network-monthly */
  renderMonthly(r) {
    const se = r.season;
    const med = r.ranking.median;
    const shown = (/** @type {any} */ x, /** @type {string} */ m) => (m === 'intensity' ? kJ(x[m]) : x[m]);
    const flagged = (/** @type {any} */ x, /** @type {string} */ m) => (x.outliers?.[m] ? { v: shown(x, m), cls: `outlier outlier-${x.outliers[m]}` } : shown(x, m));
    const seasonRow = (/** @type {string} */ key, /** @type {string} */ k) => [t(`areport.col.${key}`), shown(se.current, k), shown(se.previous, k), pct(se.change[k])];
    fill(
      this.body,
      h('p', { class: 'muted report-range' }, t('areport.monthly.range', { from: r.period.days.from, to: r.period.days.to, tz: r.period.timeZone })),
      h('h3', null, t('areport.monthly.ranking')),
      table(
        'areport-ranking',
        ['rank', 'station', 'name', 'area', 'heatedAreaM2', 'heatGJ', 'hdd', 'intensity', 'priReturnC', 'flowPerM2', 'makeupM3', 'makeupPct', 'curveDeviationMin'].map((k) => t(`areport.col.${k}`)),
        [
          ...r.ranking.stations.map((/** @type {any} */ x) => [
            x.rank, stationLink(x.station), x.name, x.area, x.heatedAreaM2, x.heatGJ, x.hdd,
            ...METRICS.slice(0, 3).map((m) => flagged(x, m)), x.makeupM3, flagged(x, 'makeupPct'), x.curveDeviationMin,
          ]),
          [t('areport.median'), '', '', '', '', '', '', kJ(med.intensity), med.priReturnC, med.flowPerM2, '', med.makeupPct, ''],
        ],
        (i) => (i < r.ranking.stations.length ? { 'data-station': r.ranking.stations[i].station } : { class: 'areport-total' }),
      ),
      h('h3', null, t('areport.monthly.season')),
      table('areport-season', [t('areport.col.metric'), t('areport.col.thisSeason'), t('areport.col.lastSeason'), t('areport.col.change')], [
        [t('areport.col.span'), `${se.current.from} – ${se.current.to}`, `${se.previous.from} – ${se.previous.to}`, ''],
        [t('areport.col.days'), se.current.days, se.previous.days, ''],
        seasonRow('heatGJ', 'heatGJ'),
        [t('areport.col.hdd'), se.current.hdd, se.previous.hdd, ''],
        seasonRow('intensity', 'intensity'),
        seasonRow('makeupM3', 'makeupM3'),
      ]),
      h('h3', null, t('areport.monthly.seasonStations')),
      table(
        'areport-season-stations',
        ['station', 'name', 'heatGJ', 'intensity', 'makeupM3'].flatMap((k, i) => (i < 2 ? [t(`areport.col.${k}`)] : [`${t(`areport.col.${k}`)} · ${t('areport.col.thisSeason')}`, t('areport.col.lastSeason'), t('areport.col.change')])),
        se.stations.map((/** @type {any} */ x) => [
          stationLink(x.station), x.name,
          ...['heatGJ', 'intensity', 'makeupM3'].flatMap((k) => [shown(x.current, k), shown(x.previous, k), pct(x.change[k])]),
        ]),
      ),
    );
  }

  /** @param {any} r GET /api/reports/files */
  renderFiles(r) {
    const get = async (/** @type {string} */ name) => {
      try {
        await saveDownload(`/api/reports/files/${encodeURIComponent(name)}`, name);
      } catch (err) {
        toast(t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
      }
    };
    fill(
      this.body,
      h('p', { class: 'muted' }, t('areport.files.where', { dir: r.dir })),
      r.files.length
        ? table(
            'areport-files',
            ['file', 'kind', 'period', 'size', 'written'].map((k) => t(`areport.col.${k}`)),
            r.files.map((/** @type {any} */ f) => [
              h('button', { type: 'button', class: 'areport-file', 'data-name': f.name, onclick: () => get(f.name) }, f.name),
              t(`areport.kind.${f.kind}`),
              f.label,
              `${Math.max(1, Math.round(f.size / 1024))} KB`,
              new Date(f.modifiedAt).toLocaleString(getLang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: this.timeZone, hour12: false }),
            ]),
          )
        : h('p', { class: 'muted' }, t('areport.files.none')),
    );
  }
}
