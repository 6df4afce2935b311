// Languages: the page speaks Spanish or English. The choice comes from
// localStorage (the selector in the top bar), else from navigator.languages,
// else English. Strings live in i18n/<lang>.js under stable keys; code asks
// for them with t(key, {param}) and never holds a sentence itself.
import en from './i18n/en.js';
import es from './i18n/es.js';

export const LANGS = { en, es };
const KEY = 'meshmeet.lang';

function pick() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && LANGS[saved]) return saved;
  } catch { /* storage blocked */ }
  for (const l of navigator.languages || [navigator.language || '']) {
    const primary = String(l).toLowerCase().split('-')[0];
    if (LANGS[primary]) return primary;
  }
  return 'en';
}

export let lang = pick();

// t returns the string for key in the page's language, with {name}
// placeholders filled from params; English, then the key, when missing.
export function t(key, params = {}) {
  const s = LANGS[lang][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
}

// setLang remembers the choice; the caller re-renders (usually by reloading).
export function setLang(l) {
  if (!LANGS[l]) return;
  lang = l;
  try { localStorage.setItem(KEY, l); } catch { /* storage blocked */ }
  document.documentElement.lang = l;
}

// Codes whose server message is already a specific English sentence: an
// English page shows that sentence, a Spanish one the code's sentence.
const GENERIC = new Set(['invalid', 'forbidden', 'not_found', 'conflict', 'too_large']);

// errorText words an API error (ApiError: status, code, message from the
// node) in the page's language, from its code; the node's English message
// only for a code this page does not know.
export function errorText(e) {
  const code = e?.code || '';
  const key = `error.${code}`;
  if (!code || !(key in en)) return e?.message || t('error.internal');
  if (lang === 'en' && GENERIC.has(code) && e.message) return sentence(e.message);
  return t(key);
}

function sentence(s) {
  const c = String(s).trim();
  const up = c.charAt(0).toUpperCase() + c.slice(1);
  return /[.!?…]$/.test(up) ? up : `${up}.`;
}

// localize sets <html lang>, the title, and every element marked
// data-i18n (text), data-i18n-aria (aria-label) or data-i18n-placeholder.
export function localize(root = document) {
  document.documentElement.lang = lang;
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n]'))) el.textContent = t(el.dataset.i18n);
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n-aria]'))) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of /** @type {NodeListOf<HTMLInputElement>} */ (root.querySelectorAll('[data-i18n-placeholder]'))) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n-title]'))) el.title = t(el.dataset.i18nTitle);
}

// langSelect is the visible language picker; onChange(l) runs after the
// choice is stored (by default the page reloads in the new language).
/** @param {(l: string) => void} [onChange] */
export function langSelect(onChange = () => location.reload()) {
  const sel = document.createElement('select');
  sel.id = 'lang';
  sel.className = 'lang';
  sel.dataset.i18nAria = 'lang.label';
  sel.dataset.i18nTitle = 'lang.label';
  sel.setAttribute('aria-label', t('lang.label'));
  sel.title = t('lang.label');
  for (const l of Object.keys(LANGS)) {
    const o = document.createElement('option');
    o.value = l;
    o.textContent = LANGS[l]['lang.name'];
    o.lang = l;
    o.selected = l === lang;
    sel.append(o);
  }
  sel.addEventListener('change', () => { setLang(sel.value); onChange(sel.value); });
  return sel;
}
