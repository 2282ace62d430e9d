// The on-call view (值班, #/oncall): per team, who is on call now at each level and the roster
// (a table a supervisor or admin edits and saves as the team's whole roster; the server's 400 is
// shown under the cell it names, `entries.3.email`), then the recent notifications with their
// delivery state (queued, retrying, delivered, dead). Reloaded every few seconds while shown;
// a roster being edited is not redrawn under the typing.
import { api } from './api.js';
import { showErrors, toast } from './dialog.js';
import { fill, fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { isoOf, localInput } from './modes.js';
import { state } from './store.js';

const EVERY_MS = 5_000;
const LEVELS = ['1', '2', '3', 'qa'];
const COLUMNS = ['level', 'area', 'name', 'mobile', 'email', 'from', 'to'];

export class OncallPage {
  /** @param {HTMLElement} view */
  constructor(view) {
    this.view = view;
    /** @type {any} GET /api/oncall */
    this.data = null;
    /** @type {any[]} */
    this.items = [];
    this.teamsBox = h('div', { class: 'oncall-teams' });
    this.list = h('div', { class: 'oncall-notifications' });
    /** @type {Map<string, { form: HTMLFormElement, dirty: boolean }>} team id → its roster form */
    this.forms = new Map();
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
  }

  async show() {
    if (!this.view.querySelector('.oncall-teams')) {
      fill(this.view, h('h2', null, t('oncall.title')), this.teamsBox, h('h2', null, t('oncall.notifications')), this.list);
    }
    await this.load();
    // reload while shown; stops by itself once another view is shown
    this.timer ??= setInterval(() => {
      if (this.view.hidden) {
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        return;
      }
      this.load().catch((err) => console.warn(err));
    }, EVERY_MS);
  }

  /** Rebuilds everything (language or role changed). */
  reset() {
    this.view.replaceChildren();
    this.teamsBox.replaceChildren();
    this.forms.clear();
  }

  async load() {
    try {
      [this.data, this.items] = await Promise.all([api('/api/oncall'), api('/api/oncall/notifications?limit=50').then((r) => r.items)]);
    } catch (err) {
      fill(this.teamsBox, h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    this.render();
  }

  render() {
    const d = this.data;
    if (!d.teams.length) {
      fill(this.teamsBox, h('p', { class: 'muted' }, t('oncall.noTeams')));
    } else {
      for (const team of d.teams) this.renderTeam(team);
      for (const [id, f] of this.forms) if (!d.teams.some((/** @type {any} */ x) => x.id === id)) (f.form.closest('section')?.remove(), this.forms.delete(id));
    }
    this.renderNotifications();
  }

  renderTeam(/** @type {any} */ team) {
    let section = /** @type {HTMLElement | null} */ (this.teamsBox.querySelector(`section[data-team="${CSS.escape(team.id)}"]`));
    if (!section) {
      section = h('section', { class: 'oncall-team', 'data-team': team.id }, h('div', { class: 'oncall-now' }), h('div', { class: 'oncall-roster' }));
      this.teamsBox.append(section);
    }
    const now = /** @type {HTMLElement} */ (section.querySelector('.oncall-now'));
    const channels = team.channels.map((/** @type {any} */ c) => `${c.name}（${t(`oncall.kind.${c.kind}`)}）`).join('、');
    fill(
      now,
      h('h3', null, team.name, ' ', h('span', { class: 'muted' }, `${team.id} · ${team.areas.map(areaLabel).join('、')} · ${channels || t('oncall.noChannels')}`)),
      this.boardTable(team),
    );
    const box = /** @type {HTMLElement} */ (section.querySelector('.oncall-roster'));
    const entries = this.data.roster.filter((/** @type {any} */ e) => e.team === team.id);
    if (!this.data.canEdit) {
      fill(box, this.rosterTable(entries));
      return;
    }
    const f = this.forms.get(team.id);
    if (f?.dirty) return;
    const form = this.rosterForm(team, entries);
    fill(box, form);
    this.forms.set(team.id, { form, dirty: false });
  }

  /** Who is on call now: a row per area, a column per level. */
  boardTable(/** @type {any} */ team) {
    const cells = this.data.onCall.filter((/** @type {any} */ c) => c.team === team.id);
    const areas = [...new Set(cells.map((/** @type {any} */ c) => c.area))];
    return h(
      'table',
      { class: 'table oncall-board' },
      h('thead', null, h('tr', null, h('th', null, t('oncall.col.area')), LEVELS.map((l) => h('th', null, t(`oncall.level.${l}`))))),
      h(
        'tbody',
        null,
        areas.map((area) =>
          h(
            'tr',
            { 'data-area': area },
            h('td', null, areaLabel(area)),
            LEVELS.map((l) => {
              const people = cells.find((/** @type {any} */ c) => c.area === area && String(c.level) === l)?.people ?? [];
              return h(
                'td',
                { 'data-level': l, class: people.length ? 'oncall-on' : 'oncall-gap' },
                people.length ? people.map((/** @type {any} */ p) => h('div', null, h('b', null, p.name), p.mobile ? ` ${p.mobile}` : '', p.to ? h('span', { class: 'muted' }, ` ${t('oncall.until', { time: fmtTime(p.to) })}`) : '')) : t('oncall.nobody'),
              );
            }),
          ),
        ),
      ),
    );
  }

  /** The roster as text (read-only roles). */
  rosterTable(/** @type {any[]} */ entries) {
    if (!entries.length) return h('p', { class: 'muted' }, t('oncall.empty'));
    return h(
      'table',
      { class: 'table oncall-roster-table' },
      h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', null, t(`oncall.col.${c}`))))),
      h(
        'tbody',
        null,
        entries.map((e) => h('tr', null, h('td', null, t(`oncall.level.${e.level}`)), h('td', null, areaLabel(e.area)), h('td', null, e.name), h('td', null, e.mobile ?? ''), h('td', null, e.email ?? ''), h('td', null, e.from ? fmtTime(e.from) : '—'), h('td', null, e.to ? fmtTime(e.to) : '—'))),
      ),
    );
  }

  /** The team's roster as rows of inputs, saved whole (PUT /api/oncall/roster with the team). */
  rosterForm(/** @type {any} */ team, /** @type {any[]} */ entries) {
    const areas = team.areas.includes('*') ? ['*', ...new Set(state.stations.map((s) => s.area).filter(Boolean))] : ['*', ...team.areas];
    const body = h('tbody');
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { class: 'oncall-form', 'data-team': team.id },
        h('table', { class: 'table oncall-edit' }, h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', null, t(`oncall.col.${c}`))), h('th'))), body),
        h('p', { class: 'form-error', role: 'alert' }),
        h(
          'div',
          { class: 'form-buttons' },
          h('button', { type: 'button', class: 'btn-add-entry', onclick: () => (body.append(this.entryRow(areas, null)), this.renumber(body), this.touch(team.id)) }, t('oncall.add')),
          h('button', { type: 'submit', class: 'primary btn-save-roster' }, t('oncall.save')),
        ),
      )
    );
    for (const e of entries) body.append(this.entryRow(areas, e));
    this.renumber(body);
    form.addEventListener('input', () => this.touch(team.id));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showErrors(form, null);
      const rows = [...body.querySelectorAll('tr')].map((tr) => {
        const v = (/** @type {string} */ k) => /** @type {HTMLInputElement} */ (tr.querySelector(`[name="${k}"]`)).value.trim();
        const level = v('level');
        return {
          team: team.id,
          area: v('area'),
          level: level === 'qa' ? 'qa' : Number(level),
          name: v('name'),
          ...(v('mobile') ? { mobile: v('mobile') } : {}),
          ...(v('email') ? { email: v('email') } : {}),
          ...(v('from') ? { from: isoOf(v('from')) } : {}),
          ...(v('to') ? { to: isoOf(v('to')) } : {}),
        };
      });
      try {
        this.data = await api('/api/oncall/roster', { method: 'PUT', body: { team: team.id, entries: rows } });
        toast(t('oncall.saved', { team: team.name }));
        this.forms.delete(team.id);
        this.render();
      } catch (err) {
        showErrors(form, err);
      }
    });
    return form;
  }

  /** One editable row; its cells are named `entries.N.field` by renumber(), as the server names errors. */
  entryRow(/** @type {string[]} */ areas, /** @type {any} */ e) {
    const cell = (/** @type {string} */ key, /** @type {HTMLElement} */ input) => {
      const error = h('small', { class: 'field-error', role: 'alert' });
      const td = h('td', { 'data-key': key }, input, error);
      input.addEventListener('input', () => {
        error.textContent = '';
        td.classList.remove('invalid');
      });
      return td;
    };
    const input = (/** @type {string} */ name, /** @type {string} */ value, /** @type {Record<string, any>} */ more = {}) => h('input', { name, value, ...more });
    const tr = h(
      'tr',
      { class: 'oncall-entry' },
      cell('level', h('select', { name: 'level' }, LEVELS.map((l) => h('option', { value: l, selected: String(e?.level ?? '1') === l }, t(`oncall.level.${l}`))))),
      cell('area', h('select', { name: 'area' }, areas.map((a) => h('option', { value: a, selected: (e?.area ?? '*') === a }, areaLabel(a))))),
      cell('name', input('name', e?.name ?? '', { size: 8 })),
      cell('mobile', input('mobile', e?.mobile ?? '', { size: 12, inputmode: 'tel' })),
      cell('email', input('email', e?.email ?? '', { size: 18 })),
      cell('from', input('from', e?.from ? localInput(e.from) : '', { type: 'datetime-local' })),
      cell('to', input('to', e?.to ? localInput(e.to) : '', { type: 'datetime-local' })),
      h('td', null, h('button', { type: 'button', class: 'btn-remove-entry', title: t('oncall.remove'), onclick: () => this.removeRow(tr) }, '✕')),
    );
    return tr;
  }

  removeRow(/** @type {HTMLElement} */ tr) {
    const body = /** @type {HTMLElement} */ (tr.parentElement);
    const team = /** @type {HTMLElement} */ (tr.closest('form')).dataset.team ?? '';
    tr.remove();
    this.renumber(body);
    this.touch(team);
  }

  renumber(/** @type {HTMLElement} */ body) {
    [...body.querySelectorAll('tr')].forEach((tr, i) => {
      for (const td of tr.querySelectorAll('td[data-key]')) td.setAttribute('data-field', `entries.${i}.${/** @type {HTMLElement} */ (td).dataset.key}`);
    });
  }

  touch(/** @type {string} */ team) {
    const f = this.forms.get(team);
    if (f) f.dirty = true;
  }

  renderNotifications() {
    if (!this.items.length) {
      fill(this.list, h('p', { class: 'muted' }, t('oncall.noNotifications')));
      return;
    }
    fill(
      this.list,
      h(
        'table',
        { class: 'table oncall-notification-table' },
        h('thead', null, h('tr', null, ['time', 'ticket', 'rule', 'level', 'channel', 'recipients', 'state', 'error'].map((c) => h('th', null, t(`oncall.n.${c}`))))),
        h(
          'tbody',
          null,
          this.items.map((n) =>
            h(
              'tr',
              { 'data-notification': n.id, 'data-ticket': n.ticket, 'data-rule': n.rule, 'data-channel': n.channel },
              h('td', null, fmtTime(n.deliveredAt ?? n.createdAt)),
              h('td', null, h('a', { href: `#/tickets/${n.ticket}` }, `#${n.ticket}`), ' ', h('span', { class: `prio-tag prio-${String(n.priority).slice(1)}` }, n.priority), ' ', n.title),
              h('td', null, t(`oncall.rule.${n.rule}`)),
              h('td', null, t(`oncall.level.${n.level}`), n.level !== n.asked ? h('span', { class: 'muted' }, ` ${t('oncall.jumped')}`) : ''),
              h('td', null, `${n.channel}（${t(`oncall.kind.${n.kind}`)}）`),
              h('td', null, n.recipients.length ? n.recipients.join('、') : t('oncall.nobody'), n.to ? h('div', { class: 'muted' }, n.to) : ''),
              h('td', null, h('span', { class: `delivery delivery-${n.state}`, 'data-state': n.state }, t(`oncall.state.${n.state}`)), n.attempts > 1 ? h('span', { class: 'muted' }, ` ×${n.attempts}`) : ''),
              h('td', { class: 'oncall-error' }, n.lastError ?? ''),
            ),
          ),
        ),
      ),
    );
  }
}

function areaLabel(/** @type {string} */ a) {
  return a === '*' ? t('oncall.allAreas') : a;
}
