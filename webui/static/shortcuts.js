// Keyboard shortcuts of the meeting room, and the dialog that lists them.
// None acts while the person types (an input, a text area, a select, an
// editable element) or while a dialog is open, or with Ctrl, Alt or Meta.
import { h } from './dom.js';
import { t } from './i18n.js';
import { trapFocus } from './dialog.js';

/** The shortcuts, as [key shown, i18n key of what it does]. */
export const SHORTCUTS = [
  ['M', 'keys.mic'], ['V', 'keys.camera'], ['D', 'keys.screen'], ['C', 'keys.chat'], ['P', 'keys.people'],
  ['R', 'keys.hand'], ['W', 'keys.grid'], ['0–9', 'keys.pin'], ['Esc', 'keys.unpin'], ['?', 'keys.help'], ['Space', 'keys.talk'],
];

/** @param {EventTarget|null} el */
function typing(el) {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/**
 * @typedef {{toggle: (k: string) => void, panel: (p: string) => void, grid: () => void, pin: (n: number) => void,
 *   unpin: () => boolean, help: () => void, talk: (down: boolean) => void}} KeyActions
 */

/**
 * installShortcuts listens on the document; it returns a function that stops it.
 * @param {KeyActions} a
 */
export function installShortcuts(a) {
  let talking = false;
  /** @param {KeyboardEvent} e */
  const down = (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || typing(e.target) || document.querySelector('dialog[open]')) return;
    if (e.key === ' ' || e.code === 'Space') {
      // Space on a button presses it: talking is for the page, not a focused control.
      if (e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement) return;
      e.preventDefault();
      if (!e.repeat && !talking) { talking = true; a.talk(true); }
      return;
    }
    if (e.repeat) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    /** @type {Record<string, () => void>} */
    const map = {
      m: () => a.toggle('audio'), v: () => a.toggle('video'), d: () => a.toggle('screenShare'), r: () => a.toggle('handRaised'),
      c: () => a.panel('chat'), p: () => a.panel('people'), w: () => a.grid(), '?': () => a.help(),
    };
    if (map[k]) { e.preventDefault(); map[k](); return; }
    if (/^[0-9]$/.test(k)) { e.preventDefault(); a.pin(Number(k)); return; }
    if (k === 'Escape' && a.unpin()) e.preventDefault();
  };
  /** @param {KeyboardEvent} e */
  const up = (e) => {
    if ((e.key === ' ' || e.code === 'Space') && talking) { talking = false; a.talk(false); }
  };
  const blur = () => { if (talking) { talking = false; a.talk(false); } };
  document.addEventListener('keydown', down);
  document.addEventListener('keyup', up);
  window.addEventListener('blur', blur);
  return () => {
    document.removeEventListener('keydown', down);
    document.removeEventListener('keyup', up);
    window.removeEventListener('blur', blur);
  };
}

// helpDialog is the list of shortcuts, opened with ? or the Shortcuts button.
export function helpDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'card help-dialog', id: 'help-dialog', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, t('keys.title')),
    h('dl', { class: 'facts keys' }, SHORTCUTS.map(([k, what]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(what))])),
    h('p', { class: 'muted small' }, t('keys.typing')),
    h('div', { class: 'row end' }, h('button', { type: 'button', id: 'help-close', onclick: () => dialog.close() }, t('common.close')))));
  document.body.append(dialog);
  const trap = trapFocus(dialog);
  return {
    open() {
      trap.open();
      /** @type {HTMLElement|null} */ (dialog.querySelector('#help-close'))?.focus();
    },
    close() { if (dialog.open) dialog.close(); },
  };
}
