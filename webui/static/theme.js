// Colours: light, dark or high contrast. By default the system's choice
// (prefers-color-scheme, prefers-contrast: app.css); a switch in the top bar
// overrides it for this browser (data-theme on <html>, remembered).
import { t } from './i18n.js';

const KEY = 'meshmeet.theme';
export const THEMES = ['auto', 'light', 'dark', 'contrast'];

/** @returns {string} */
function saved() {
  try { return localStorage.getItem(KEY) || 'auto'; } catch { return 'auto'; }
}

/** applyTheme sets data-theme on <html> ('auto': none). @param {string} theme */
export function applyTheme(theme) {
  if (theme === 'auto' || !THEMES.includes(theme)) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

// themeSelect is the visible switch; the choice applies at once and is kept.
export function themeSelect() {
  const sel = document.createElement('select');
  sel.id = 'theme';
  sel.className = 'lang';
  sel.setAttribute('aria-label', t('theme.label'));
  sel.title = t('theme.label');
  const cur = saved();
  for (const th of THEMES) {
    const o = document.createElement('option');
    o.value = th;
    o.textContent = t(`theme.${th}`);
    o.selected = th === cur;
    sel.append(o);
  }
  sel.addEventListener('change', () => {
    try { localStorage.setItem(KEY, sel.value); } catch { /* storage blocked */ }
    applyTheme(sel.value);
  });
  return sel;
}

applyTheme(saved());
