// Alarm tables: the active list with each first-out alarm's children nested under it (the
// alarm view and the station detail), and the suppressed / shelved / out-of-service views
// saying why each alarm is there and which first-out alarm it follows.
import { UNACKED, alarmText, knownMessages, stationName } from './alarms.js';
import { fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { modeOf } from './modes.js';
import { isOperator, state } from './store.js';

/** @typedef {(a: any, what: 'ack'|'shelve'|'unshelve'|'return') => void} Act */

const prioCell = (/** @type {any} */ a) => h('td', null, h('span', { class: `prio-tag prio-${a.priority}` }, t(`prio.${a.priority}`)));
const stationCell = (/** @type {any} */ a) => h('td', null, h('a', { href: `#/station/${a.station}` }, stationName(a.station)));

/**
 * The active list. Each alarm's children (suppressed alarms with it as `parent`, from
 * `children`) follow it indented, without buttons: they are acknowledged with their parent.
 * @param {any[]} list annunciated alarms
 * @param {Act} act
 * @param {Map<string, any[]>} [children]
 */
export function alarmTable(list, act, children = new Map()) {
  const op = isOperator();
  /** @type {HTMLElement[]} */
  const rows = [];
  const shown = new Set();
  const childRows = (/** @type {string} */ parentId, /** @type {number} */ depth) => {
    for (const c of children.get(parentId) ?? []) {
      if (shown.has(c.id)) continue; // a cycle would be a server bug; never loop on it
      shown.add(c.id);
      rows.push(
        h(
          'tr',
          { class: `alarm-child prio-${c.priority} state-${c.state}`, 'data-alarm': c.id, 'data-parent': parentId },
          prioCell(c),
          h('td', null, fmtTime(c.ts)),
          stationCell(c),
          h('td', { class: 'alarm-msg', style: `padding-left:${8 + depth * 20}px` }, h('span', { class: 'child-mark', 'aria-hidden': 'true' }, '↳ '), alarmText(c)),
          h('td', { class: 'alarm-state' }, t('alarm.state.child')),
          h('td', null),
          h('td', null),
        ),
      );
      childRows(c.id, depth + 1);
    }
  };
  for (const a of list) {
    shown.add(a.id);
    rows.push(
      h(
        'tr',
        { class: `prio-${a.priority} state-${a.state}${UNACKED.has(a.state) ? ' flashing' : ''}`, 'data-alarm': a.id },
        prioCell(a),
        h('td', null, fmtTime(a.ts)),
        stationCell(a),
        h('td', { class: 'alarm-msg' }, alarmText(a), children.get(a.id)?.length ? h('span', { class: 'child-count muted' }, ` (${t('alarm.children', { n: countTree(a.id, children) })})`) : null),
        h('td', { class: 'alarm-state' }, t(`alarm.state.${a.state}`)),
        h('td', { class: 'alarm-acked' }, a.ackedBy ? t('alarm.ackedBy', { user: a.ackedBy, time: fmtTime(a.ackedAt) }) + (a.comment ? ` — ${a.comment}` : '') : ''),
        h(
          'td',
          { class: 'alarm-actions' },
          op && UNACKED.has(a.state) ? h('button', { class: 'btn-ack', onclick: () => act(a, 'ack') }, t('alarm.ack')) : null,
          op ? h('button', { class: 'btn-shelve', onclick: () => act(a, 'shelve') }, t('alarm.shelve')) : null,
        ),
      ),
    );
    childRows(a.id, 1);
  }
  return h(
    'table',
    { class: 'table alarm-table' },
    h('thead', null, h('tr', null, ['alarm.col.prio', 'alarm.col.time', 'alarm.col.station', 'alarm.col.message', 'alarm.col.state', 'alarm.col.ack', 'alarm.col.actions'].map((k) => h('th', null, t(k))))),
    h('tbody', null, rows),
  );
}

function countTree(/** @type {string} */ id, /** @type {Map<string, any[]>} */ children, seen = new Set()) {
  let n = 0;
  for (const c of children.get(id) ?? []) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    n += 1 + countTree(c.id, children, seen);
  }
  return n;
}

/** Why an alarm is in its view, in words. */
export function whyText(/** @type {any} */ a) {
  if (a.state === 'shelved') return [t('alarm.shelvedBy', { user: a.shelvedBy ?? '—', time: fmtTime(a.shelvedUntil) }), a.comment].filter(Boolean).join(' — ');
  if (a.state === 'out_of_service') return [t('alarm.state.out_of_service'), a.comment].filter(Boolean).join(' — ');
  return (a.suppressedBy ?? [])
    .map((/** @type {string} */ w) => {
      if (w !== 'mode') return t(`alarm.why.${w}`);
      const m = modeOf(a.station);
      return t('alarm.why.mode', { mode: m ? t(`mode.${m.mode}`) : '—' }) + (m?.stop?.reason ? ` · ${m.stop.reason}` : '');
    })
    .join('；');
}

/** The text of an alarm by id, from any list the page holds. */
function textOf(/** @type {string} */ id) {
  const a = (state.alarms ?? []).find((x) => x.id === id) ?? Object.values(state.views).flat().find((x) => x.id === id);
  if (a) return alarmText(a);
  return knownMessages(id) ? alarmText({ id }) : id;
}

/**
 * A suppressed, shelved or out-of-service view: why each alarm is there and its first-out alarm.
 * @param {any[]} list
 * @param {Act} act
 */
export function viewTable(list, act) {
  const op = isOperator();
  return h(
    'table',
    { class: 'table alarm-table view-table' },
    h('thead', null, h('tr', null, ['alarm.col.prio', 'alarm.col.time', 'alarm.col.station', 'alarm.col.message', 'alarm.col.why', 'alarm.col.parent', 'alarm.col.actions'].map((k) => h('th', null, t(k))))),
    h(
      'tbody',
      null,
      list.map((a) =>
        h(
          'tr',
          { class: `prio-${a.priority} state-${a.state}${a.active ? '' : ' not-holding'}`, 'data-alarm': a.id, 'data-parent': a.parent ?? undefined },
          prioCell(a),
          h('td', null, fmtTime(a.ts)),
          stationCell(a),
          h('td', { class: 'alarm-msg' }, alarmText(a)),
          h('td', { class: 'alarm-why' }, whyText(a)),
          h('td', { class: 'alarm-parent' }, a.parent ? textOf(a.parent) : '—'),
          h(
            'td',
            { class: 'alarm-actions' },
            op && a.state === 'shelved' ? h('button', { class: 'btn-unshelve', onclick: () => act(a, 'unshelve') }, t('alarm.unshelve')) : null,
            op && a.state === 'out_of_service' ? h('button', { class: 'btn-return', onclick: () => act(a, 'return') }, t('alarm.return')) : null,
          ),
        ),
      ),
    ),
  );
}
