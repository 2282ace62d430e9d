import { getLang, t } from './i18n.js';

const UNITS = { degC: '°C', MPa: 'MPa', 'm3/h': 'm³/h', m3: 'm³', '%': '%', Hz: 'Hz', 'GJ/h': 'GJ/h', GJ: 'GJ', A: 'A', h: 'h' };

/** @param {string | null | undefined} u */
export function unitLabel(u) {
  return u ? (/** @type {Record<string,string>} */ (UNITS)[u] ?? u) : '';
}

/** A value for display: numbers with digits suited to the unit, booleans as ●/○, null as —. */
export function fmtValue(/** @type {unknown} */ v, /** @type {string | null | undefined} */ unit) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? '●' : '○';
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  const digits = unit === 'MPa' ? 3 : Math.abs(v) >= 100 ? 0 : 1;
  return v.toFixed(digits);
}

export function fmtTime(/** @type {number | string | null | undefined} */ ts) {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(getLang() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** `1天 2小时`, `3小时 5分`, `4分 10秒` from milliseconds (absolute value). */
export function fmtDuration(/** @type {number} */ ms) {
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
  // a countdown on the wall must visibly run: h:mm:ss, with days in front when needed
  return `${d ? `${t('time.d', { n: d })} ` : ''}${h}:${two(m)}:${two(s)}`;
}

/** Creates an element: h('div', { class: 'x', onclick }, child, 'text'). */
export function h(/** @type {string} */ tag, /** @type {Record<string, any> | null} */ attrs, /** @type {any[]} */ ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Replaces an element's children, taking arrays and skipping null/false as h() does. */
export function fill(/** @type {Element} */ el, /** @type {any[]} */ ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
