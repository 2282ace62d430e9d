// Service reports (服务报表, #/reports): a day or a month in the site's time zone, its figures as
// tables (GET /api/reports/service), and the same report as CSV or Excel. Downloads carry the
// token in the Authorization header and are saved through an object URL (api.js saveDownload);
// the ticket queue's export buttons (exportButtons) download its current filtered list the same way.
import { api, saveDownload } from './api.js';
import { classLabel } from './alarm-reports.js';
import { toast } from './dialog.js';
import { fill, h } from './format.js';
import { getLang, t } from './i18n.js';
import { reportTabs } from './report-tabs.js';

const PRIOS = ['P1', 'P2', 'P3', 'P4'];

/** `YYYY-MM-DD` of `ms` in the time zone. */
function localDay(/** @type {number} */ ms, /** @type {string} */ timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** `YYYY-MM-DD HH:mm` of `ms` in the time zone. */
function localMinute(/** @type {number} */ ms, /** @type {string} */ timeZone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

const pct = (/** @type {number | null} */ v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} %`);

/** A table of label/number rows; numbers right-aligned. */
function table(/** @type {string} */ cls, /** @type {string[]} */ headers, /** @type {any[][]} */ rows) {
  return h(
    'table',
    { class: `table report-table ${cls}` },
    h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((v, i) => h('td', i > 0 && (typeof v === 'number' || /%$/.test(String(v))) ? { class: 'num' } : null, v ?? '—'))))),
  );
}

/**
 * Download buttons for a file the API builds: CSV and Excel of `path()` (a path with its query).
 * @param {() => string} path e.g. `/api/tickets/export?status=all`
 * @param {() => string} name the file name without its extension
 * @param {string} [labels] i18n key prefix of the two buttons' texts
 */
export function exportButtons(path, name, labels = 'report.download') {
  const get = async (/** @type {'csv' | 'xlsx'} */ format) => {
    const p = path();
    try {
      await saveDownload(`${p}${p.includes('?') ? '&' : '?'}format=${format}&lang=${getLang()}`, `${name()}.${format}`);
    } catch (err) {
      toast(t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
  };
  return h(
    'span',
    { class: 'export-tools' },
    h('button', { type: 'button', class: 'btn-download-csv', onclick: () => get('csv') }, t(`${labels}.csv`)),
    h('button', { type: 'button', class: 'btn-download-xlsx', onclick: () => get('xlsx') }, t(`${labels}.xlsx`)),
  );
}

export class ServiceReports {
  /** @param {HTMLElement} view */
  constructor(view) {
    this.view = view;
    this.timeZone = 'Asia/Shanghai';
    /** @type {'day' | 'month'} */
    this.period = 'day';
    this.date = '';
    this.body = h('div', { class: 'report-body' });
  }

  /** Builds the view on first show (and after a language change); shows the chosen period. */
  async show() {
    if (!this.view.querySelector('.report-body')) {
      const cfg = await api('/api/ui-config').catch(() => null);
      if (cfg?.timezone) this.timeZone = cfg.timezone;
      if (!this.date) this.date = localDay(Date.now() - 86_400_000, this.timeZone);
      this.build();
    }
    await this.load();
  }

  reset() {
    this.view.replaceChildren();
  }

  build() {
    const today = localDay(Date.now(), this.timeZone);
    const period = /** @type {HTMLSelectElement} */ (
      h('select', { name: 'period', class: 'report-period' }, ['day', 'month'].map((p) => h('option', { value: p, selected: p === this.period }, t(`report.period.${p}`))))
    );
    const date = /** @type {HTMLInputElement} */ (h('input', { name: 'date', class: 'report-date' }));
    const setInput = () => {
      date.type = this.period === 'day' ? 'date' : 'month';
      date.max = this.period === 'day' ? today : today.slice(0, 7);
      date.value = this.period === 'day' ? this.date : this.date.slice(0, 7);
    };
    setInput();
    period.addEventListener('change', () => {
      this.period = /** @type {'day' | 'month'} */ (period.value);
      this.date = this.period === 'day' ? (this.date.length === 7 ? `${this.date}-01` : this.date) : this.date.slice(0, 7);
      setInput();
      void this.load();
    });
    date.addEventListener('change', () => {
      if (!date.value) return;
      this.date = date.value;
      void this.load();
    });
    fill(
      this.view,
      reportTabs('service'),
      h('h2', null, t('report.title')),
      h(
        'div',
        { class: 'toolbar report-tools' },
        h('label', null, t('report.period'), period),
        h('label', null, t('report.date'), date),
        exportButtons(
          () => `/api/reports/service?period=${this.period}&date=${encodeURIComponent(this.date)}`,
          () => `${t('report.file')}-${this.date}`,
        ),
      ),
      this.body,
    );
  }

  async load() {
    const want = `${this.period}/${this.date}`;
    this.view.dataset.loaded = '';
    let r;
    try {
      r = await api(`/api/reports/service?period=${this.period}&date=${encodeURIComponent(this.date)}&lang=${getLang()}`);
    } catch (err) {
      fill(this.body, h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    if (want !== `${this.period}/${this.date}`) return; // a newer choice is on its way
    this.render(r);
    this.view.dataset.loaded = want;
  }

  /** @param {any} r GET /api/reports/service */
  render(r) {
    const p = r.period;
    const kpi = (/** @type {string} */ key, /** @type {any} */ v, /** @type {string} */ id) => h('div', { class: 'kpi', 'data-kpi': id }, h('span', null, t(key)), h('b', null, v));
    const rate = (/** @type {any} */ x) => [x.onTime, x.late, pct(x.percent)];
    const c = r.created;
    const cb = r.callbacks;
    fill(
      this.body,
      h('p', { class: 'muted report-range' }, t('report.range', { from: localMinute(p.from, p.timeZone), to: localMinute(p.to, p.timeZone), tz: p.timeZone })),
      h(
        'div',
        { class: 'kpi-row' },
        kpi('report.kpi.created', c.total, 'created'),
        kpi('report.kpi.respond', pct(r.onTime.respond.percent), 'respond'),
        kpi('report.kpi.resolve', pct(r.onTime.resolve.percent), 'resolve'),
        kpi('report.kpi.callbackRate', pct(cb.callbackRate), 'callbackRate'),
        kpi('report.kpi.satisfaction', pct(cb.satisfaction), 'satisfaction'),
        kpi('report.kpi.repeats', r.repeats.total, 'repeats'),
        kpi('report.kpi.breaches', r.breaches.total.total, 'breaches'),
      ),
      h('h3', null, t('report.created')),
      h(
        'div',
        { class: 'report-grid' },
        table('report-source', [t('report.col.source'), t('report.col.count')], Object.entries(c.bySource).map(([k, v]) => [t(`report.source.${k}`), v])),
        table('report-category', [t('report.col.category'), t('report.col.count')], Object.entries(c.byCategory).map(([k, v]) => [t(`service.cat.${k}`), v])),
        table('report-class', [t('report.col.faultClass'), t('report.col.count')], c.byFaultClass.map((/** @type {any} */ f) => [f.faultClass === 'incident' ? t('report.incident') : classLabel(f.faultClass), f.count])),
        table('report-priority', [t('report.col.priority'), t('report.col.count')], PRIOS.map((x) => [x, c.byPriority[x]])),
      ),
      h('h3', null, t('report.onTime')),
      table(
        'report-ontime',
        ['report.col.priority', 'report.col.respondOk', 'report.col.respondLate', 'report.col.respondPct', 'report.col.resolveOk', 'report.col.resolveLate', 'report.col.resolvePct'].map((k) => t(k)),
        [...r.onTime.byPriority.map((/** @type {any} */ x) => [x.priority, ...rate(x.respond), ...rate(x.resolve)]), [t('report.total'), ...rate(r.onTime.respond), ...rate(r.onTime.resolve)]],
      ),
      h('h3', null, t('report.callbacks')),
      table('report-callbacks', [t('report.col.metric'), t('report.col.value')], [
        [t('report.cb.resolved'), cb.resolved],
        [t('report.cb.withCallback'), cb.withCallback],
        [t('report.kpi.callbackRate'), pct(cb.callbackRate)],
        [t('report.cb.reached'), cb.reached],
        [t('report.cb.unreached'), cb.unreached],
        [t('report.cb.satisfied'), cb.satisfied],
        [t('report.cb.dissatisfied'), cb.dissatisfied],
        [t('report.kpi.satisfaction'), pct(cb.satisfaction)],
      ]),
      h('h3', null, t('report.breaches')),
      table(
        'report-breaches',
        ['report.col.team', 'report.col.respondLate', 'report.col.onSiteLate', 'report.col.resolveLate', 'report.total'].map((k) => t(k)),
        [...r.breaches.byTeam.map((/** @type {any} */ b) => [b.label, b.respond, b.on_site, b.resolve, b.total]), [t('report.total'), r.breaches.total.respond, r.breaches.total.on_site, r.breaches.total.resolve, r.breaches.total.total]],
      ),
      h('h3', null, t('report.repeats')),
      r.repeats.items.length
        ? table(
            'report-repeats',
            [t('report.col.ticket'), t('report.col.previous'), t('report.col.kind'), t('report.col.time'), t('report.col.station'), t('report.col.address')],
            r.repeats.items.map((/** @type {any} */ x) => [
              h('a', { href: `#/tickets/${x.ticketId}` }, `#${x.ticketId}`),
              `#${x.previousId}`,
              t(`report.repeat.${x.kind}`),
              localMinute(x.at, p.timeZone),
              x.station ?? '—',
              x.address ?? '—',
            ]),
          )
        : h('p', { class: 'muted' }, t('report.repeats.none')),
    );
  }
}
