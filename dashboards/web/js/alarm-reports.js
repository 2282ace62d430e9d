// Read-only alarm reports of the alarm view: the flood view (raises of the last minutes grouped
// by area and cause, GET /api/alarms/flood), the EEMUA 191 figures and the event history.
import { NotAvailable, api, listOf } from './api.js';
import { alarmText, learnTexts, stationName } from './alarms.js';
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';

const toMs = (/** @type {any} */ v) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Date.parse(v) || null);
/** EEMUA 191: more than 10 alarms in 10 minutes is a flood */
const FLOOD_PER_10_MIN = 10;
const STATIONS_SHOWN = 8;

const failed = (/** @type {unknown} */ err) =>
  h('p', { class: 'notice' }, err instanceof NotAvailable ? t('unavailable', { what: t('unavailable.alarms') }) : t('error', { msg: String(/** @type {Error} */ (err).message) }));

/** A fault class in words (`pump_trip` → 循环泵跳闸), or the id when the catalogue lacks it. */
export function classLabel(/** @type {string | null} */ c) {
  if (!c) return t('class.none');
  const key = `class.${c}`;
  const s = t(key);
  return s === key ? c : s;
}

/** An alarm event type in words (`unsuppress` → 解除抑制), or as given when the catalogue lacks it. */
function eventLabel(/** @type {string | undefined} */ type) {
  const key = `alarm.event.${type}`;
  const s = t(key);
  return s === key ? (type ?? '') : s;
}

/** Fills `box` with the flood view for the last `minutes`. */
export async function renderFlood(/** @type {HTMLElement} */ box, /** @type {number} */ minutes) {
  let f;
  try {
    f = await api(`/api/alarms/flood?minutes=${minutes}`, { optional: true });
  } catch (err) {
    box.replaceChildren(failed(err));
    return;
  }
  const per10 = (f.raises * 10) / minutes;
  box.replaceChildren(
    h(
      'p',
      { class: `flood-summary${per10 > FLOOD_PER_10_MIN ? ' in-flood' : ''}`, 'data-raises': f.raises },
      t('flood.summary', { n: f.raises, m: minutes, from: fmtTime(f.from), to: fmtTime(f.to) }),
      per10 > FLOOD_PER_10_MIN ? h('b', { class: 'flood-flag' }, ` ${t('flood.is')}`) : null,
    ),
    f.groups.length
      ? h(
          'table',
          { class: 'table flood-table' },
          h('thead', null, h('tr', null, ['flood.col.area', 'flood.col.class', 'flood.col.count', 'flood.col.stations', 'flood.col.prio', 'flood.col.last'].map((k) => h('th', null, t(k))))),
          h(
            'tbody',
            null,
            f.groups.map((/** @type {any} */ g) =>
              h(
                'tr',
                { 'data-area': g.area ?? '', 'data-class': g.class ?? '' },
                h('td', null, g.area ?? t('flood.noArea')),
                h('td', null, classLabel(g.class)),
                h('td', { class: 'num' }, g.count),
                h(
                  'td',
                  { class: 'flood-stations' },
                  g.stations.slice(0, STATIONS_SHOWN).flatMap((/** @type {string} */ s, /** @type {number} */ i) => [i ? '、' : '', h('a', { href: `#/station/${s}` }, stationName(s))]),
                  g.stations.length > STATIONS_SHOWN ? ` ${t('flood.more', { n: g.stations.length - STATIONS_SHOWN })}` : '',
                ),
                h('td', null, h('span', { class: `prio-tag prio-${g.priority}` }, t(`prio.${g.priority}`))),
                h('td', null, fmtTime(g.last)),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('flood.none')),
  );
}

/** Fills the KPI and history boxes of the active tab. */
export async function renderHistory(/** @type {HTMLElement | null} */ kpis, /** @type {HTMLElement | null} */ hist) {
  if (!kpis || !hist) return;
  try {
    const k = await api('/api/alarms/kpis', { optional: true });
    const cell = (/** @type {string} */ key, /** @type {any} */ v) => h('div', { class: 'kpi' }, h('span', null, t(key)), h('b', null, v ?? '—'));
    kpis.replaceChildren(
      h(
        'div',
        { class: 'kpi-row' },
        cell('alarm.kpi.raises', k?.raises),
        cell('alarm.kpi.avg', typeof k?.avgPer10Min === 'number' ? k.avgPer10Min.toFixed(2) : undefined),
        cell('alarm.kpi.peak', k?.peak10Min),
        cell('alarm.kpi.flood', typeof k?.floodPercent === 'number' ? `${k.floodPercent.toFixed(1)} %` : undefined),
        cell('alarm.kpi.chattering', Array.isArray(k?.chattering) ? k.chattering.length : k?.chattering),
        cell('alarm.kpi.stale', Array.isArray(k?.stale) ? k.stale.length : k?.stale),
      ),
    );
  } catch (err) {
    kpis.replaceChildren(failed(err));
  }
  try {
    const body = await api('/api/alarms/history', { optional: true });
    const events = listOf(body, ['events', 'items', 'alarms', 'history']).slice(0, 200);
    await learnTexts(events);
    hist.replaceChildren(
      h(
        'table',
        { class: 'table' },
        h('thead', null, h('tr', null, ['alarm.col.time', 'alarm.col.prio', 'alarm.col.station', 'alarm.col.message', 'alarm.col.state', 'alarm.col.ack'].map((k) => h('th', null, t(k))))),
        h(
          'tbody',
          null,
          events.map((e) =>
            h(
              'tr',
              null,
              h('td', null, fmtTime(toMs(e.ts ?? e.time))),
              h('td', null, h('span', { class: `prio-tag prio-${e.priority}` }, t(`prio.${e.priority}`))),
              h('td', null, stationName(e.station ?? String(e.point ?? '').split('.')[0])),
              // events carry one text; the page language's text where the page has seen the alarm
              h('td', null, alarmText({ id: e.alarmId, message: e.message ?? e.alarmId ?? '' })),
              h('td', null, `${eventLabel(e.type)} ${e.to ? `→ ${t(`alarm.state.${e.to}`)}` : ''}`),
              h('td', null, [e.user, e.comment].filter(Boolean).join(': ')),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    hist.replaceChildren(failed(err));
  }
}
