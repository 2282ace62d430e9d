// Control-room page: boot (token, role), header, router (#/grid, #/alarms/<tab>, #/tickets,
// #/service, #/trend, #/analytics[/map|/scatter/ID], #/stops, #/oncall, #/shift, #/station/ID), live feed for the grid, periodic refreshes.
import { ApiError, api, getToken, setToken } from './api.js';
import { AlarmView } from './alarm-view.js';
import { AnalyticsPage } from './analytics.js';
import { Alarms } from './alarms.js';
import { StationDetail } from './detail.js';
import { ask } from './dialog.js';
import { h } from './format.js';
import { StationGrid } from './grid.js';
import { applyStatic, getLang, onLangChange, setLang, t } from './i18n.js';
import { LiveFeed } from './live.js';
import { loadModes } from './modes.js';
import { AlarmSound } from './sound.js';
import { KEY_POINTS, leafOf, on, state, stationOf } from './store.js';
import { CaseLibrary } from './cases.js';
import { PlannedStops } from './stops.js';
import { ServiceReports } from './reports.js';
import { AnalyticsReports, ANALYTICS_REPORTS } from './analytics-reports.js';
import { OncallPage } from './oncall.js';
import { ShiftPage } from './shift.js';
import { Tickets } from './tickets.js';
import { TrendExplorer } from './trend.js';

const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

const STATIONS_EVERY_MS = 15_000;
const ALARMS_EVERY_MS = 5_000;
const TICKETS_EVERY_MS = 10_000;

const sound = new AlarmSound();
const views = {
  grid: $('#view-grid'),
  alarms: $('#view-alarms'),
  tickets: $('#view-tickets'),
  service: $('#view-service'),
  trend: $('#view-trend'),
  stops: $('#view-stops'),
  reports: $('#view-reports'),
  oncall: $('#view-oncall'),
  shift: $('#view-shift'),
  cases: $('#view-cases'),
  analytics: $('#view-analytics'),
  station: $('#view-station'),
};
const grid = new StationGrid(views.grid);
const alarms = new Alarms({ banner: $('#banner'), sound });
const alarmView = new AlarmView(views.alarms, alarms);
const stops = new PlannedStops(views.stops);
const reports = new ServiceReports(views.reports);
const analyticsReports = new AnalyticsReports(views.reports);
/** #/reports is the service report; #/reports/<station-daily|network-monthly|files> the analytics reports, in the same view */
const showReports = (/** @type {string | undefined} */ arg) => void (arg && ANALYTICS_REPORTS.includes(arg) ? analyticsReports.show(arg) : reports.show());
const oncall = new OncallPage(views.oncall);
const shift = new ShiftPage(views.shift, $('#shift-badge'));
const cases = new CaseLibrary(views.cases);
const tickets = new Tickets({ view: views.tickets, service: views.service });
const detail = new StationDetail(views.station, { alarms, tickets });
const trend = new TrendExplorer(views.trend);
const analytics = new AnalyticsPage(views.analytics);

/** For tests and the bench: read-only handles on the page's state. */
const hw = { state, sound, grid, trend, feed: /** @type {LiveFeed | null} */ (null), samples: 0, statusLog: /** @type {string[]} */ ([]) };
/** @type {any} */ (window).heatwatch = hw;

async function loadStations() {
  const list = await api('/api/stations');
  const old = state.byId;
  state.stations = list;
  state.byId = new Map(list.map((/** @type {any} */ s) => [s.id, s]));
  for (const s of list) {
    const prev = old.get(s.id);
    if (prev) {
      s._alarm = prev._alarm;
      s._tickets = prev._tickets;
      // keep live values newer than the snapshot
      for (const k of KEY_POINTS) if (prev.values?.[k] && (!s.values[k] || prev.values[k].ts > s.values[k].ts)) s.values[k] = prev.values[k];
    }
  }
  grid.stationsChanged();
}

function onSamples(/** @type {Map<string, any>} */ batch) {
  const touched = new Set();
  for (const [point, s] of batch) {
    const st = state.byId.get(stationOf(point));
    if (!st) continue;
    const k = leafOf(point);
    if (!KEY_POINTS.includes(k)) continue;
    st.values[k] = { ts: s.ts, value: s.value, quality: s.quality };
    touched.add(st.id);
  }
  hw.samples += batch.size;
  grid.update(touched);
  if (tickets.refreshServiceLive && !views.service.hidden) tickets.refreshServiceLive();
}

function setConn(/** @type {'connecting' | 'live' | 'lost'} */ s) {
  const el = $('#conn');
  el.className = `conn conn-${s}`;
  el.dataset.state = s;
  hw.statusLog.push(s);
  el.textContent = t(`conn.${s}`);
  document.body.classList.toggle('conn-lost', s === 'lost');
}

function renderHeader() {
  const muteBtn = $('#mute');
  muteBtn.textContent = sound.muted ? `🔇 ${t('sound.off')}` : `🔔 ${t('sound.on')}`;
  muteBtn.setAttribute('aria-pressed', String(sound.muted));
  $('#lang').textContent = t('lang.switch');
  $('#who').textContent = `${state.user} · ${t(`role.${state.role}`)}`;
  setConn(hw.feed?.status ?? 'connecting');
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '') || 'grid';
  const [name, arg] = hash.split('/');
  const key = name in views ? name : 'grid';
  for (const [k, el] of Object.entries(views)) el.hidden = k !== key;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.getAttribute('href') === `#/${key}`);
  if (key !== 'station') detail.close();
  // load the other alarm views only while shown: the station detail nests its own children
  if (key !== 'alarms') {
    const station = key === 'station' && arg ? decodeURIComponent(arg) : '';
    if (alarms.want.station !== station || alarms.want.views.length || alarms.want.children !== Boolean(station)) {
      alarms.want = { views: [], children: Boolean(station), station };
      void alarms.refresh();
    }
  }
  if (key === 'grid') grid.layout();
  if (key === 'alarms') alarmView.show(arg);
  if (key === 'stops') void stops.show();
  if (key === 'reports') showReports(arg);
  if (key === 'oncall') void oncall.show();
  if (key === 'shift') void shift.show();
  if (key === 'cases') void cases.show();
  if (key === 'tickets') tickets.show(arg);
  if (key === 'service') tickets.renderService();
  if (key === 'trend') trend.show();
  if (key === 'analytics') void analytics.show(location.hash);
  else analytics.hide();
  if (key === 'station' && arg && arg !== detail.id) void detail.open(decodeURIComponent(arg));
}

/** Asks for a token until the server accepts one; returns the session. */
async function login(/** @type {boolean} */ force = false) {
  let cfg = { demoToken: null, site: '' };
  try {
    cfg = await api('/api/ui-config');
  } catch {
    /* older server: no ui-config */
  }
  if (cfg.site) $('#site').textContent = cfg.site;
  let message = t('token.prompt');
  for (let i = 0; ; i++) {
    if (getToken() && !(force && i === 0)) {
      try {
        return await api('/api/session');
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) throw err;
        message = `${t('token.invalid')} — ${t('token.prompt')}`;
      }
    }
    const v = await ask(message, [{ name: 'token', label: t('token.title'), value: getToken() || cfg.demoToken || '', required: true }]);
    if (v?.token) setToken(v.token.trim());
  }
}

/** @param {any} s GET /api/session */
function setSession(s) {
  state.role = s.role;
  state.user = s.name;
  state.write = s.write === true;
  state.transitions = s.transitions ?? {};
}

async function boot() {
  document.documentElement.lang = getLang();
  applyStatic(document);
  const session = await login();
  setSession(session);
  renderHeader();
  $('#mute').addEventListener('click', () => {
    sound.setMuted(!sound.muted);
    if (!sound.muted) sound.ensure();
    renderHeader();
  });
  $('#lang').addEventListener('click', () => setLang(getLang() === 'en' ? 'zh-CN' : 'en'));
  $('#who').addEventListener('click', async () => {
    const s = await login(true);
    setSession(s);
    renderHeader();
    views.alarms.replaceChildren();
    stops.reset();
    shift.reset();
    oncall.reset();
    route();
  });
  onLangChange(() => {
    renderHeader();
    grid.labels();
    grid.stationsChanged();
    alarms.renderBanner();
    views.alarms.replaceChildren();
    if (!views.alarms.hidden) alarmView.reset();
    stops.reset();
    if (!views.stops.hidden) void stops.show();
    reports.reset();
    analyticsReports.reset();
    if (!views.reports.hidden) showReports(location.hash.split('/')[2]);
    oncall.reset();
    if (!views.oncall.hidden) void oncall.show();
    shift.reset();
    if (!views.shift.hidden) void shift.show();
    if (!views.tickets.hidden) tickets.render();
    if (!views.service.hidden) tickets.renderService();
    trend.relabel();
    analytics.reset();
    if (!views.analytics.hidden) void analytics.show(location.hash);
    if (detail.id) void detail.open(detail.id);
  });
  on('alarms', () => {
    grid.recolour();
    detail.lists();
    if (!views.alarms.hidden) alarmView.render();
  });
  on('modes', () => {
    grid.stationsChanged();
    detail.modesChanged();
    if (!views.stops.hidden) {
      stops.renderModes();
      void stops.load(); // stops entered elsewhere show up with the periodic mode reload
    }
  });
  on('tickets', () => {
    grid.recolour();
    detail.lists();
  });

  await loadStations();
  await loadModes();
  hw.feed = new LiveFeed({
    subscribe: { points: KEY_POINTS },
    onSamples,
    onStatus: setConn,
    onEvent: (msg) => {
      if (msg.type === 'alarm') void alarms.refresh();
      if (msg.type === 'ticket') void tickets.refresh();
    },
  }).start();
  await Promise.all([alarms.refresh(), tickets.refresh()]);
  window.addEventListener('hashchange', route);
  route();
  const every = (/** @type {() => Promise<unknown>} */ fn, /** @type {number} */ ms) =>
    setInterval(() => fn().catch((err) => console.warn(err)), ms);
  every(loadStations, STATIONS_EVERY_MS);
  // planned stops begin and end on their own, and the season turns: modes change without an event
  every(loadModes, STATIONS_EVERY_MS);
  every(async () => {
    await alarms.refresh();
    alarmView.refreshFlood();
  }, ALARMS_EVERY_MS);
  every(() => tickets.refresh(), TICKETS_EVERY_MS);
  // the handover notes' unread count in the header, and the shift view's summary
  shift.watch();
  document.body.dataset.ready = '1';
}

boot().catch((err) => {
  document.body.append(h('p', { class: 'notice fatal' }, t('error', { msg: String(err?.message ?? err) })));
  console.error(err);
});
