// SVG mimic of the standard indirect-connection substation (DOMAIN §1): primary loop with heat
// meter and control valve, plate heat exchanger, secondary loop with two circulation pumps,
// make-up pump and tank. Text and symbols carry data-p="point" and are updated in place.
import { fmtValue, unitLabel } from './format.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element (also the analytics views' drawings). @param {string} tag @param {Record<string, string | number>} attrs @param {string} [text] */
export function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Value labels: [point, x, y, anchor] */
const LABELS = [
  ['t_pri_supply', 40, 62, 'start'],
  ['p_pri_supply', 40, 44, 'start'],
  ['t_pri_return', 40, 328, 'start'],
  ['p_pri_return', 40, 346, 'start'],
  ['f_pri', 140, 130, 'middle'],
  ['heat_power', 140, 148, 'middle'],
  ['valve_fb', 280, 130, 'middle'],
  ['t_sec_supply', 860, 62, 'end'],
  ['p_sec_supply', 860, 44, 'end'],
  ['f_sec', 860, 100, 'end'],
  ['t_sec_return', 860, 328, 'end'],
  ['p_sec_return', 860, 346, 'end'],
  ['pump1_hz', 600, 258, 'middle'],
  ['pump2_hz', 600, 418, 'middle'],
  ['tank_level', 800, 470, 'middle'],
  ['f_makeup', 705, 470, 'end'],
  ['t_outdoor', 860, 20, 'end'],
];

export class Mimic {
  /** @param {HTMLElement} host @param {Map<string, { name: string, unit: string | null }>} meta short point id → name, unit */
  constructor(host, meta) {
    this.meta = meta;
    /** @type {Map<string, SVGElement[]>} */
    this.byPoint = new Map();
    const svg = s('svg', { viewBox: '0 0 900 490', class: 'mimic', role: 'img' });
    this.svg = svg;
    const pipe = (/** @type {string} */ d, /** @type {string} */ cls) => svg.append(s('path', { d, class: `pipe ${cls}` }));
    // primary loop
    pipe('M20 80 H380', 'hot');
    pipe('M380 300 H20', 'cold');
    // secondary loop: supply out, return in through the two pumps in parallel
    pipe('M480 80 H880', 'hot sec');
    pipe('M880 300 H480', 'cold sec');
    pipe('M680 300 V380 H520 V300', 'cold sec');
    // make-up line: tank → make-up pump → secondary return
    pipe('M770 400 H720 V300', 'makeup');
    // texts: loop names
    svg.append(s('text', { x: 20, y: 20, class: 'mimic-title' }, t('mimic.primary')));
    svg.append(s('text', { x: 500, y: 20, class: 'mimic-title' }, t('mimic.secondary')));
    svg.append(s('text', { x: 20, y: 100, class: 'mimic-small' }, t('mimic.supply')));
    svg.append(s('text', { x: 20, y: 290, class: 'mimic-small' }, t('mimic.return')));
    // heat meter on primary supply
    svg.append(s('rect', { x: 115, y: 64, width: 50, height: 32, rx: 4, class: 'equip meter' }));
    svg.append(s('text', { x: 140, y: 85, class: 'mimic-small', 'text-anchor': 'middle' }, 'Q'));
    svg.append(s('text', { x: 140, y: 112, class: 'mimic-small', 'text-anchor': 'middle' }, t('mimic.meter')));
    // control valve (bow tie) on primary supply
    const valve = s('path', { d: 'M262 66 L298 94 L298 66 L262 94 Z', class: 'equip valve', 'data-p': 'valve_fb' });
    svg.append(valve);
    this.add('valve_fb:symbol', valve);
    svg.append(s('text', { x: 280, y: 112, class: 'mimic-small', 'text-anchor': 'middle' }, t('mimic.valve')));
    // plate heat exchanger
    svg.append(s('rect', { x: 380, y: 50, width: 100, height: 280, rx: 6, class: 'equip hex' }));
    for (let i = 0; i < 8; i++) svg.append(s('line', { x1: 392 + i * 11, y1: 60, x2: 392 + i * 11, y2: 320, class: 'plate' }));
    svg.append(s('text', { x: 430, y: 350, class: 'mimic-small', 'text-anchor': 'middle' }, t('mimic.hex')));
    // pumps
    this.pump(600, 300, 'pump1', t('mimic.pump1'));
    this.pump(600, 380, 'pump2', t('mimic.pump2'));
    this.pump(720, 400, 'makeup', t('mimic.makeup'));
    // make-up tank with level
    svg.append(s('rect', { x: 770, y: 370, width: 60, height: 80, class: 'equip tank' }));
    const level = s('rect', { x: 772, y: 448, width: 56, height: 0, class: 'tank-level' });
    svg.append(level);
    this.add('tank_level:symbol', level);
    svg.append(s('text', { x: 800, y: 365, class: 'mimic-small', 'text-anchor': 'middle' }, t('mimic.tank')));
    // digital states
    let x = 500;
    for (const p of ['power_ok', 'flood', 'door']) {
      const g = s('g', { class: 'di', 'data-p': p });
      g.append(s('circle', { cx: x, cy: 40, r: 6 }), s('text', { x: x + 10, y: 44, class: 'mimic-small' }, meta.get(p)?.name ?? p));
      svg.append(g);
      this.add(`${p}:symbol`, g);
      x += 90; // 110 put the third label under the secondary supply pressure value
    }
    for (const [p, lx, ly, anchor] of LABELS) {
      const el = s('text', { x: lx, y: ly, class: 'mimic-value', 'text-anchor': anchor, 'data-p': p });
      svg.append(el);
      this.add(String(p), el);
    }
    host.replaceChildren(svg);
  }

  /** @param {string} key @param {SVGElement} el */
  add(key, el) {
    if (!this.byPoint.has(key)) this.byPoint.set(key, []);
    this.byPoint.get(key)?.push(el);
  }

  /** @param {number} cx @param {number} cy @param {string} id @param {string} label */
  pump(cx, cy, id, label) {
    const g = s('g', { class: 'pump', 'data-pump': id });
    g.append(s('circle', { cx, cy, r: 16, class: 'equip' }), s('path', { d: `M${cx - 7} ${cy - 10} L${cx + 11} ${cy} L${cx - 7} ${cy + 10} Z`, class: 'pump-arrow' }));
    g.append(s('text', { x: cx, y: cy + (id === 'makeup' ? 34 : -22), class: 'mimic-small', 'text-anchor': 'middle' }, label));
    this.svg.append(g);
    this.add(`${id}:symbol`, g);
  }

  /**
   * Applies the latest values (short point id → sample).
   * @param {Map<string, { value: any, quality: string }>} values
   */
  update(values) {
    for (const [p] of LABELS) {
      const els = this.byPoint.get(String(p));
      if (!els) continue;
      const v = values.get(String(p));
      const unit = this.meta.get(String(p))?.unit ?? null;
      const name = t(`point.${p}`) === `point.${p}` ? (this.meta.get(String(p))?.name ?? p) : t(`point.${p}`);
      const text = `${name} ${v ? fmtValue(v.value, unit) : '—'} ${unitLabel(unit)}`;
      for (const el of els) {
        if (el.textContent !== text) el.textContent = text;
        el.classList.toggle('bad', !v || v.quality !== 'good');
      }
    }
    for (const id of ['pump1', 'pump2', 'makeup']) {
      const run = values.get(`${id}_run`)?.value;
      const fault = values.get(`${id}_fault`)?.value;
      for (const g of this.byPoint.get(`${id}:symbol`) ?? []) g.setAttribute('class', `pump ${fault ? 'fault' : run ? 'running' : 'stopped'}`);
    }
    const level = values.get('tank_level')?.value;
    for (const r of this.byPoint.get('tank_level:symbol') ?? []) {
      const hgt = typeof level === 'number' ? Math.max(0, Math.min(76, (level / 100) * 76)) : 0;
      r.setAttribute('height', String(hgt));
      r.setAttribute('y', String(448 - hgt));
    }
    for (const [p, alarmOn] of [['power_ok', false], ['flood', true], ['door', true]]) {
      const v = values.get(String(p))?.value;
      const bad = typeof v === 'boolean' ? v === alarmOn : false;
      for (const g of this.byPoint.get(`${p}:symbol`) ?? []) g.setAttribute('class', `di ${v === undefined || v === null ? 'unknown' : bad ? 'on' : 'ok'}`);
    }
  }
}
