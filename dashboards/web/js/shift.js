// The shift view (交接班, #/shift): the summary the shift opens with (open tickets and active
// alarms by priority, the tickets that missed a deadline during the last shift, the stations
// in maintenance or stopped), the notes the previous shift handed over, this shift's notes and,
// for operators, a form to add one (a note about a station or a ticket, or correcting an
// earlier note). The header's nav entry carries a count of handed-over notes this browser has
// not shown yet. Notes stay as written once their shift has ended: a correction is appended.
import { api } from './api.js';
import { formDialog, showErrors, toast } from './dialog.js';
import { fill, fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { field } from './modes.js';
import { isOperator, state } from './store.js';
import { stationName } from './alarms.js';
import { stationIds } from './stops.js';

const POLL_MS = 60_000;
const SEEN_KEY = 'heatwatch.shift.seen';
const HISTORY_DAYS = 7;

/** The shift as `01-15 20:00 – 01-16 08:00`. */
function span(/** @type {any} */ s) {
  return `${fmtTime(s.start).slice(0, -3)} – ${fmtTime(s.end).slice(0, -3)}`;
}

export class ShiftPage {
  /** @param {HTMLElement} view @param {HTMLElement | null} badge the nav entry's unread count */
  constructor(view, badge) {
    this.view = view;
    this.badge = badge;
    /** @type {any} GET /api/shifts/current */
    this.data = null;
    this.head = h('div', { class: 'shift-head' });
    this.summary = h('div', { class: 'shift-summary' });
    this.previous = h('div', { class: 'shift-notes shift-prev-notes' });
    this.current = h('div', { class: 'shift-notes shift-cur-notes' });
    this.history = h('div', { class: 'shift-history' });
    /** @type {HTMLFormElement | null} */
    this.form = null;
  }

  /** Builds the view once (so what is typed survives a reload), then loads; shown notes count as read. */
  async show() {
    if (!this.view.querySelector('.shift-summary')) {
      this.form = isOperator() ? this.noteForm() : null;
      fill(
        this.view,
        h('h2', null, t('shift.title')),
        this.head,
        this.summary,
        h('h3', null, t('shift.previousNotes')),
        this.previous,
        h('h3', null, t('shift.currentNotes')),
        this.current,
        this.form,
        h('h3', null, t('shift.history')),
        h('button', { type: 'button', class: 'btn-shift-history', onclick: () => this.loadHistory() }, t('shift.history.load', { days: HISTORY_DAYS })),
        this.history,
      );
    }
    await this.load();
  }

  /** Rebuilds everything (language or role changed). */
  reset() {
    this.view.replaceChildren();
    this.form = null;
  }

  async load() {
    try {
      this.data = await api('/api/shifts/current');
    } catch (err) {
      this.summary.replaceChildren(h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    if (!this.view.hidden) this.render();
    this.updateBadge();
  }

  /** Keeps the badge current while the page shows other views; the shift view reloads too. */
  watch() {
    void this.load();
    setInterval(() => void this.load(), POLL_MS);
  }

  render() {
    const d = this.data;
    fill(this.head, h('span', null, t('shift.current', { span: span(d.shift) })), h('span', { class: 'muted' }, ` · ${t('shift.previous', { span: span(d.previous) })}`));
    this.renderSummary(d.summary);
    this.renderNotes(this.previous, d.previousNotes, t('shift.noPreviousNotes'));
    this.renderNotes(this.current, d.notes, t('shift.noNotes'));
    this.markSeen();
  }

  renderSummary(/** @type {any} */ s) {
    const count = (/** @type {string} */ label, /** @type {number} */ n, /** @type {string} */ cls) => h('span', { class: `shift-count ${cls}${n ? '' : ' zero'}` }, h('i', null, label), h('b', null, String(n)));
    const tickets = s.openTickets
      ? h(
          'div',
          { class: 'shift-kpi shift-tickets' },
          h('b', null, t('shift.openTickets', { n: s.openTickets.total })),
          ['P1', 'P2', 'P3', 'P4'].map((p, i) => count(`${p} ${t(`prio.${i + 1}`)}`, s.openTickets.byPriority[p], `prio-${i + 1}`)),
        )
      : null;
    const alarms = s.alarms
      ? h(
          'div',
          { class: 'shift-kpi shift-alarms' },
          h('b', null, t('shift.alarms', { n: s.alarms.total })),
          ['1', '2', '3', '4'].map((p) => count(t(`prio.${p}`), s.alarms.byPriority[p], `prio-${p}`)),
          count(t('shift.unacked'), s.alarms.unacked, 'unacked'),
        )
      : null;
    fill(
      this.summary,
      h('div', { class: 'shift-kpis' }, tickets, alarms),
      s.breached ? [h('h3', null, t('shift.breached', { n: s.breached.length })), this.breachTable(s.breached)] : null,
      s.stationsOff ? [h('h3', null, t('shift.stationsOff', { n: s.stationsOff.length })), this.offTable(s.stationsOff)] : null,
    );
  }

  breachTable(/** @type {any[]} */ list) {
    if (!list.length) return h('p', { class: 'muted' }, t('shift.noBreaches'));
    return h(
      'table',
      { class: 'table shift-breached' },
      h('thead', null, h('tr', null, ['ticket.col.prio', 'ticket.col.title', 'ticket.col.station', 'shift.col.deadline', 'shift.col.at', 'ticket.col.status'].map((k) => h('th', null, t(k))))),
      h(
        'tbody',
        null,
        list.map((b) =>
          h(
            'tr',
            { 'data-ticket': b.ticket },
            h('td', null, h('span', { class: `prio-tag prio-${b.priority.slice(1)}` }, b.priority)),
            h('td', null, h('a', { href: `#/tickets/${b.ticket}` }, `${b.ticket} ${b.title}`)),
            h('td', null, b.station ? h('a', { href: `#/station/${b.station}` }, stationName(b.station)) : (b.area ?? '—')),
            h('td', { class: 'shift-deadline' }, t(`shift.deadline.${b.deadline}`)),
            h('td', null, fmtTime(b.at)),
            h('td', null, t(`ticket.status.${b.status}`)),
          ),
        ),
      ),
    );
  }

  offTable(/** @type {any[]} */ list) {
    if (!list.length) return h('p', { class: 'muted' }, t('shift.noStationsOff'));
    return h(
      'table',
      { class: 'table shift-off' },
      h('thead', null, h('tr', null, ['alarm.col.station', 'mode.field.mode', 'mode.col.detail', 'shift.col.reason', 'shift.col.until'].map((k) => h('th', null, t(k))))),
      h(
        'tbody',
        null,
        list.map((m) =>
          h(
            'tr',
            { 'data-station': m.station },
            h('td', null, h('a', { href: `#/station/${m.station}` }, m.name)),
            h('td', null, h('span', { class: `mode-badge mode-${m.mode}` }, t(`mode.${m.mode}`))),
            h('td', null, t(`mode.source.${m.source}`), m.by ? h('span', { class: 'muted' }, ` · ${m.by === 'config' ? t('stops.config') : m.by}`) : null),
            h('td', null, m.reason ?? '—'),
            h('td', null, m.until ? fmtTime(m.until) : t('shift.untilChanged')),
          ),
        ),
      ),
    );
  }

  renderNotes(/** @type {HTMLElement} */ box, /** @type {any[]} */ notes, /** @type {string} */ none) {
    if (!notes.length) {
      fill(box, h('p', { class: 'muted' }, none));
      return;
    }
    const op = isOperator();
    fill(
      box,
      h(
        'ol',
        { class: 'shift-note-list' },
        notes.map((n) =>
          h(
            'li',
            { class: `shift-note${n.corrects ? ' shift-correction' : ''}`, 'data-note': n.id },
            h(
              'div',
              { class: 'shift-note-head' },
              h('b', null, n.author),
              h('span', { class: 'muted' }, fmtTime(n.ts)),
              n.editedAt ? h('span', { class: 'muted' }, t('shift.edited', { time: fmtTime(n.editedAt) })) : null,
              n.corrects ? h('span', { class: 'shift-tag' }, t('shift.corrects', { id: n.corrects })) : null,
              n.station ? h('a', { href: `#/station/${n.station}`, class: 'shift-tag' }, n.stationName ?? stationName(n.station)) : null,
              n.ticket ? h('a', { href: `#/tickets/${n.ticket}`, class: 'shift-tag' }, t('shift.ticketRef', { id: n.ticket })) : null,
              h('span', { class: 'muted shift-note-id' }, `#${n.id}`),
              op && n.open && n.author === state.user ? h('button', { type: 'button', class: 'btn-edit-note', onclick: () => this.edit(n) }, t('shift.edit')) : null,
              op && !n.open ? h('button', { type: 'button', class: 'btn-correct-note', onclick: () => this.correct(n) }, t('shift.correct')) : null,
            ),
            h('div', { class: 'shift-note-text' }, n.text),
          ),
        ),
      ),
    );
  }

  noteForm() {
    const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { name: 'text', rows: 4, maxlength: 4000, required: true, placeholder: t('shift.text.hint') }));
    const station = /** @type {HTMLInputElement} */ (h('input', { name: 'station', autocomplete: 'off', list: 'shift-stations', placeholder: t('shift.station.hint') }));
    const ticket = /** @type {HTMLInputElement} */ (h('input', { name: 'ticket', type: 'number', min: 1, step: 1 }));
    const corrects = /** @type {HTMLInputElement} */ (h('input', { name: 'corrects', type: 'number', min: 1, step: 1 }));
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { class: 'shift-form inline-form' },
        h('h3', null, t('shift.new')),
        field('text', t('shift.field.text'), text),
        field('station', t('shift.field.station'), station),
        field('ticket', t('shift.field.ticket'), ticket),
        field('corrects', t('shift.field.corrects'), corrects),
        h('datalist', { id: 'shift-stations' }, state.stations.map((s) => h('option', { value: s.id }, s.name))),
        h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary' }, t('shift.submit'))),
        h('p', { class: 'form-error', role: 'alert' }),
      )
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showErrors(form, null);
      /** @type {Record<string, unknown>} */
      const body = { text: text.value };
      // a station typed by name is sent as its id; an unknown word goes as typed and the server names it
      if (station.value.trim()) body.station = stationIds(station.value)[0];
      if (ticket.value) body.ticket = Number(ticket.value);
      if (corrects.value) body.corrects = Number(corrects.value);
      try {
        const note = await api('/api/shifts/notes', { method: 'POST', body });
        toast(t('shift.saved', { id: note.id }));
        form.reset();
        await this.load();
      } catch (err) {
        showErrors(form, err);
      }
    });
    return form;
  }

  /** Prefills the form with a correction of a handed-over note. */
  correct(/** @type {any} */ n) {
    if (!this.form) return;
    /** @type {HTMLInputElement} */ (this.form.querySelector('[name="corrects"]')).value = String(n.id);
    const text = /** @type {HTMLTextAreaElement} */ (this.form.querySelector('[name="text"]'));
    if (!text.value) text.value = t('shift.correction.prefix');
    text.focus();
    this.form.scrollIntoView({ block: 'nearest' });
  }

  async edit(/** @type {any} */ n) {
    const saved = await formDialog({
      title: t('shift.edit.title', { id: n.id }),
      fields: [
        { name: 'text', label: t('shift.field.text'), type: 'textarea', value: n.text, required: true },
        { name: 'station', label: t('shift.field.station'), value: n.station ?? '' },
        { name: 'ticket', label: t('shift.field.ticket'), type: 'number', value: n.ticket ? String(n.ticket) : '' },
      ],
      submit: (v) =>
        api(`/api/shifts/notes/${n.id}`, {
          method: 'PUT',
          body: { text: v.text, station: v.station.trim() ? stationIds(v.station)[0] : null, ticket: v.ticket ? Number(v.ticket) : null },
        }),
    });
    if (saved) await this.load();
  }

  async loadHistory() {
    let r;
    try {
      r = await api(`/api/shifts?from=now-${HISTORY_DAYS}d`);
    } catch (err) {
      fill(this.history, h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    const withNotes = r.shifts.filter((/** @type {any} */ s) => s.notes.length);
    fill(
      this.history,
      withNotes.length
        ? withNotes.map((/** @type {any} */ s) => {
            const box = h('div', { class: 'shift-notes' });
            this.renderNotes(box, s.notes, '');
            return h('section', { class: 'shift-past', 'data-shift': s.start }, h('h4', null, span(s)), box);
          })
        : h('p', { class: 'muted' }, t('shift.history.none')),
    );
  }

  // ---- unread badge -------------------------------------------------------------

  /** Notes of the previous shift newer than the last one this browser showed. */
  unread() {
    if (!this.data) return 0;
    const seen = readSeen();
    const since = seen.shift === this.data.previous.start ? seen.id : 0;
    return this.data.previousNotes.filter((/** @type {any} */ n) => n.id > since).length;
  }

  markSeen() {
    const notes = this.data?.previousNotes ?? [];
    const id = notes.reduce((m, /** @type {any} */ n) => Math.max(m, n.id), 0);
    localStorage.setItem(SEEN_KEY, JSON.stringify({ shift: this.data.previous.start, id }));
    this.updateBadge();
  }

  updateBadge() {
    if (!this.badge) return;
    const n = this.unread();
    this.badge.textContent = n ? String(n) : '';
    this.badge.hidden = n === 0;
    this.badge.title = n ? t('shift.unread', { n }) : '';
  }
}

function readSeen() {
  try {
    const v = JSON.parse(localStorage.getItem(SEEN_KEY) ?? '{}');
    return { shift: Number(v.shift) || 0, id: Number(v.id) || 0 };
  } catch {
    return { shift: 0, id: 0 };
  }
}
