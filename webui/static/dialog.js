// Modal dialogs that keep focus: Tab and Shift+Tab cycle inside the dialog,
// Escape closes it, and focus goes back to where it was when it opened.
import { h } from './dom.js';
import { t } from './i18n.js';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * trapFocus keeps Tab inside dialog and gives focus back on close.
 * @param {HTMLDialogElement} dialog
 */
export function trapFocus(dialog) {
  /** @type {Element|null} */
  let before = null;
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const els = /** @type {HTMLElement[]} */ ([...dialog.querySelectorAll(FOCUSABLE)]).filter((x) => !x.closest('[hidden]'));
    if (!els.length) return;
    const first = els[0], last = els[els.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  dialog.addEventListener('close', () => {
    if (before instanceof HTMLElement && before.isConnected) before.focus();
    before = null;
  });
  return {
    /** open shows the dialog modal, remembering the focus to give back. */
    open() {
      if (dialog.open) return;
      before = document.activeElement;
      dialog.showModal();
    },
  };
}

/**
 * textDialog shows a value selected in a read-only box, to copy by hand.
 * @param {{title: string, text: string, value: string, id?: string}} d
 */
export function textDialog({ title, text, value, id = 'text-dialog' }) {
  const box = /** @type {HTMLInputElement} */ (h('input', { type: 'text', readonly: true, value, 'aria-label': text, class: 'mono' }));
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'card confirm-dialog', id, 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    h('label', {}, text, box),
    h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('common.close')))));
  dialog.addEventListener('close', () => setTimeout(() => dialog.remove(), 0));
  document.body.append(dialog);
  trapFocus(dialog).open();
  box.focus();
  box.select();
}

/**
 * confirmDialog asks a yes/no question in the page; it resolves true on yes.
 * @param {{title: string, text: string, yes: string, danger?: boolean, id?: string}} q
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, yes, danger = false, id = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: `confirm-ok ${danger ? 'danger' : ''}`, id: 'confirm-ok', onclick: () => done(true) }, yes);
    const no = h('button', { type: 'button', class: 'secondary confirm-no', id: 'confirm-no', onclick: () => done(false) }, t('common.cancel'));
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'card confirm-dialog', id, role: 'alertdialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-text` },
      h('h2', { id: `${id}-title` }, title),
      h('p', { id: `${id}-text` }, text),
      h('div', { class: 'row end' }, no, ok)));
    let answered = false;
    /** @param {boolean} v */
    function done(v) {
      if (answered) return;
      answered = true;
      resolve(v);
      if (dialog.open) dialog.close();
    }
    dialog.addEventListener('close', () => { done(false); setTimeout(() => dialog.remove(), 0); });
    document.body.append(dialog);
    trapFocus(dialog).open();
    no.focus(); // the safe answer first
  });
}
