// The one message catalogue of the page: every visible label comes from here. The texts are in
// i18n/zh-CN.js and i18n/en.js (one file per language keeps each short); the keys are the same.
// zh-CN is the default; English is the switch. Keys are stable; add both languages together.
import en from './i18n/en.js';
import zh from './i18n/zh-CN.js';

/** @typedef {'zh-CN' | 'en'} Lang */

/** @type {Record<Lang, Record<string, string>>} */
export const MESSAGES = { 'zh-CN': zh, en };

const KEY = 'heatwatch.lang';
/** @type {Lang} */
let lang = /** @type {Lang} */ (localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN');
/** @type {Set<() => void>} */
const listeners = new Set();

export function getLang() {
  return lang;
}

/** @param {Lang} next */
export function setLang(next) {
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  applyStatic(document);
  for (const l of listeners) l();
}

/** @param {() => void} fn */
export function onLangChange(fn) {
  listeners.add(fn);
}

/**
 * A label in the current language; `{name}` placeholders are filled from vars.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars) {
  const s = MESSAGES[lang][key] ?? MESSAGES['zh-CN'][key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? '')) : s;
}

/** Fills `data-i18n` (text), `data-i18n-placeholder` and `data-i18n-title` attributes under root. */
export function applyStatic(/** @type {ParentNode} */ root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {string} */ (el.getAttribute('data-i18n')));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    /** @type {HTMLInputElement} */ (el).placeholder = t(/** @type {string} */ (el.getAttribute('data-i18n-placeholder')));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    /** @type {HTMLElement} */ (el).title = t(/** @type {string} */ (el.getAttribute('data-i18n-title')));
  }
}
