// Station grid: one tile per station, virtualised (only the rows in view exist in the DOM),
// so 5,000 stations cost what about 150 visible tiles cost. Filter by area, state and text.
import { fmtValue, h } from './format.js';
import { t } from './i18n.js';
import { modeOf } from './modes.js';
import { KEY_POINTS, KEY_UNITS, state } from './store.js';

const TILE_W = 184;
const TILE_H = 96;
const GAP = 6;
const OVERSCAN_ROWS = 2;

export class StationGrid {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {any[]} */
    this.filtered = [];
    /** @type {Map<string, HTMLElement>} station id → tile in the DOM */
    this.tiles = new Map();
    this.cols = 1;
    this.search = h('input', { type: 'search', class: 'grid-search', 'data-i18n-placeholder': 'grid.search', placeholder: t('grid.search'), oninput: () => this.refilter() });
    this.area = /** @type {HTMLSelectElement} */ (h('select', { class: 'grid-area', onchange: () => this.refilter() }));
    this.mode = /** @type {HTMLSelectElement} */ (h('select', { class: 'grid-mode', onchange: () => this.refilter() }));
    this.count = h('span', { class: 'grid-count' });
    this.spacer = h('div', { class: 'grid-spacer' });
    this.scroller = h('div', { class: 'grid-scroll', onscroll: () => this.render() }, this.spacer);
    root.append(h('div', { class: 'toolbar' }, this.search, this.area, this.mode, this.count), this.scroller);
    new ResizeObserver(() => this.layout()).observe(this.scroller);
    this.labels();
  }

  /** Re-fills the option labels after a language switch. */
  labels() {
    const mode = this.mode.value || 'all';
    this.mode.replaceChildren(
      h('option', { value: 'all' }, t('grid.filter.all')),
      h('option', { value: 'alarm' }, t('grid.filter.alarm')),
      h('option', { value: 'offline' }, t('grid.filter.offline')),
      h('option', { value: 'mode' }, t('grid.filter.mode')),
    );
    this.mode.value = mode;
    this.setAreas();
    for (const [id, el] of this.tiles) this.fill(el, state.byId.get(id));
  }

  setAreas() {
    const areas = new Map();
    for (const s of state.stations) areas.set(s.area ?? '—', (areas.get(s.area ?? '—') ?? 0) + 1);
    const cur = this.area.value;
    this.area.replaceChildren(
      h('option', { value: '' }, t('grid.area.all')),
      ...[...areas].map(([a, n]) => h('option', { value: a }, `${a} (${n})`)),
    );
    this.area.value = [...areas.keys()].includes(cur) ? cur : '';
  }

  /** New station list from the API (names, comm, alarms, tickets). */
  stationsChanged() {
    if (this.area.options.length !== new Set(state.stations.map((s) => s.area ?? '—')).size + 1) this.setAreas();
    this.refilter();
  }

  refilter() {
    const q = /** @type {HTMLInputElement} */ (this.search).value.trim().toLowerCase();
    const area = this.area.value;
    const mode = this.mode.value;
    const prev = this.filtered;
    this.filtered = state.stations.filter(
      (s) =>
        (!area || (s.area ?? '—') === area) &&
        (!q || s.id.includes(q) || s.name.toLowerCase().includes(q)) &&
        (mode !== 'alarm' || worst(s) !== null) &&
        (mode !== 'offline' || s.comm !== 'online') &&
        (mode !== 'mode' || (modeOf(s.id)?.mode ?? 'in_service') !== 'in_service'),
    );
    this.count.textContent = `${t('grid.stations', { n: state.stations.length })} · ${t('grid.shown', { n: this.filtered.length, total: state.stations.length })}`;
    // the periodic station refresh usually changes no membership: refill the tiles in view
    // instead of rebuilding them
    const same = prev.length === this.filtered.length && prev.every((s, i) => s.id === this.filtered[i].id);
    if (same && this.tiles.size) {
      for (const [id, el] of this.tiles) this.fill(el, state.byId.get(id));
      return;
    }
    this.layout();
  }

  layout() {
    const w = this.scroller.clientWidth;
    this.cols = Math.max(1, Math.floor((w - GAP) / (TILE_W + GAP)));
    const rows = Math.ceil(this.filtered.length / this.cols);
    this.spacer.style.height = `${rows * (TILE_H + GAP) + GAP}px`;
    this.render();
  }

  /** Creates the tiles of the rows in view and drops the others. */
  render() {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 800;
    const first = Math.max(0, Math.floor(top / (TILE_H + GAP)) - OVERSCAN_ROWS);
    const last = Math.ceil((top + height) / (TILE_H + GAP)) + OVERSCAN_ROWS;
    const from = first * this.cols;
    const to = Math.min(this.filtered.length, last * this.cols);
    const keep = new Set();
    for (let i = from; i < to; i++) {
      const s = this.filtered[i];
      keep.add(s.id);
      let el = this.tiles.get(s.id);
      if (!el) {
        el = this.create(s);
        this.tiles.set(s.id, el);
        this.spacer.append(el);
      }
      const row = Math.floor(i / this.cols);
      const col = i % this.cols;
      el.style.transform = `translate(${GAP + col * (TILE_W + GAP)}px, ${GAP + row * (TILE_H + GAP)}px)`;
    }
    for (const [id, el] of this.tiles) {
      if (!keep.has(id)) {
        el.remove();
        this.tiles.delete(id);
      }
    }
  }

  /** @param {any} s */
  create(s) {
    /** @type {Record<string, HTMLElement>} */
    const vals = {};
    const valueCells = KEY_POINTS.map((k) => {
      const v = h('b', null);
      vals[k] = v;
      return h('span', { class: `kv kv-${k}` }, h('i', { 'data-k': k }), v);
    });
    const el = h(
      'a',
      { class: 'tile', href: `#/station/${s.id}`, 'data-station': s.id, style: `width:${TILE_W}px;height:${TILE_H}px` },
      h('div', { class: 'tile-head' }, h('span', { class: 'tile-name' }), h('span', { class: 'tile-mode', hidden: true }), h('span', { class: 'tile-badge' })),
      h('div', { class: 'tile-sub' }),
      h('div', { class: 'tile-vals' }, valueCells),
    );
    /** @type {any} */ (el)._vals = vals;
    this.fill(el, s);
    return el;
  }

  /** Writes everything of a tile (name, state, colour, values). */
  fill(/** @type {HTMLElement} */ el, /** @type {any} */ s) {
    if (!s) return;
    const p = worst(s);
    const tickets = openTickets(s);
    const m = modeOf(s.id)?.mode ?? 'in_service';
    el.className = `tile comm-${s.comm}${p ? ` prio-${p}` : ''}${m !== 'in_service' ? ` tile-off mode-${m}` : ''}`;
    /** @type {HTMLElement} */ (el.querySelector('.tile-name')).textContent = s.name;
    // 停运 / 检修 / 调试: a station not in service says so, so its quiet tile is not misread
    const mb = /** @type {HTMLElement} */ (el.querySelector('.tile-mode'));
    mb.textContent = m === 'in_service' ? '' : t(`mode.${m}`);
    mb.dataset.mode = m;
    mb.className = `tile-mode mode-badge mode-${m}`;
    mb.hidden = m === 'in_service';
    const badge = /** @type {HTMLElement} */ (el.querySelector('.tile-badge'));
    badge.textContent = tickets ? t('grid.tickets', { n: tickets }) : '';
    badge.hidden = !tickets;
    /** @type {HTMLElement} */ (el.querySelector('.tile-sub')).textContent = `${s.id} · ${t(`comm.${s.comm}`)}${p ? ` · ${t(`prio.${p}`)}` : ''}`;
    for (const i of el.querySelectorAll('i[data-k]')) i.textContent = t(`point.${i.getAttribute('data-k')}`);
    this.values(el, s);
  }

  /** Writes only the four values: the hot path for live samples. */
  values(/** @type {HTMLElement} */ el, /** @type {any} */ s) {
    const vals = /** @type {any} */ (el)._vals;
    for (const k of KEY_POINTS) {
      const v = s.values?.[k];
      const cell = vals[k];
      const text = v ? fmtValue(v.value, /** @type {any} */ (KEY_UNITS)[k]) : '—';
      if (cell.textContent !== text) cell.textContent = text;
      const bad = !v || v.quality !== 'good';
      if (cell.classList.contains('bad') !== bad) cell.classList.toggle('bad', bad);
    }
  }

  /** Live samples arrived for these stations: touch only tiles in view. */
  update(/** @type {Set<string>} */ stationIds) {
    for (const id of stationIds) {
      const el = this.tiles.get(id);
      if (el) this.values(el, state.byId.get(id));
    }
  }

  /** Alarm or ticket lists changed: recolour the tiles in view. */
  recolour() {
    for (const [id, el] of this.tiles) this.fill(el, state.byId.get(id));
  }
}

/** Worst active priority of a station, from the station list or from the alarm list. */
export function worst(/** @type {any} */ s) {
  let p = s.worstAlarm ?? null;
  const fromAlarms = s._alarm ?? null;
  if (fromAlarms !== null && (p === null || fromAlarms < p)) p = fromAlarms;
  return p;
}

function openTickets(/** @type {any} */ s) {
  return Math.max(s.openTickets ?? 0, s._tickets ?? 0);
}
