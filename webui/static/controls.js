// Control bar: microphone, camera, screen, hand, reactions, the chat and
// participants panels, layout, devices, invite, shortcuts, leave, end.
// Each toggle is a button with a fixed name and aria-pressed = the state it
// shows ("Microphone, pressed" = the microphone is live); its visible text
// says the state and its title the action a click takes (with its key).
import { h, replace } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';

/** The reactions a page may send (the node accepts these only). */
export const REACTIONS = ['👍', '👏', '😂', '🎉', '❤️', '😮'];

/** @type {[string, string, string, boolean, string, string][]} */
const TOGGLES = [
  // state key, button id, icon, crossed when off, i18n key stem, shortcut
  ['audio', 'btn-mic', 'mic', true, 'mic', 'M'],
  ['video', 'btn-camera', 'camera', true, 'camera', 'V'],
  ['screenShare', 'btn-screen', 'screen', false, 'screen', 'D'],
  ['handRaised', 'btn-hand', 'hand', false, 'hand', 'R'],
];

/** @type {[string, string, string, string][]} */
const PANELS = [
  // panel, button id, icon, shortcut
  ['chat', 'btn-chat', 'chat', 'C'],
  ['people', 'btn-people', 'people', 'P'],
];

/**
 * @typedef {{onToggle: (k: string) => void, onDevices: () => void, onLeave: () => void, onEnd: () => void,
 *   onPanel: (p: string) => void, onReact: (emoji: string) => void, onInvite: () => void, onHelp: () => void, onGrid: () => void}} ControlHandlers
 */

/**
 * createControls builds the toolbar.
 * @param {ControlHandlers} handlers
 */
export function createControls({ onToggle, onDevices, onLeave, onEnd, onPanel, onReact, onInvite, onHelp, onGrid }) {
  /** @type {Record<string, {el: HTMLElement, icon: HTMLElement, text: HTMLElement}>} */
  const buttons = {};
  for (const [k, id, , , stem] of TOGGLES) {
    const iconEl = h('span', { class: 'icon', 'aria-hidden': 'true' });
    const text = h('span', { class: 'label' });
    buttons[k] = { el: h('button', { type: 'button', id, class: 'toggle', 'aria-label': t(`controls.${stem}.name`), onclick: () => onToggle(k) }, iconEl, text), icon: iconEl, text };
  }
  /** @type {Record<string, {el: HTMLElement, badge: HTMLElement}>} */
  const panels = {};
  for (const [p, id, ic, key] of PANELS) {
    const badge = h('span', { class: 'badge count', hidden: true });
    panels[p] = {
      el: h('button', { type: 'button', id, class: 'toggle panel', 'aria-pressed': 'false', 'aria-controls': `panel-${p}`,
        title: `${t(`controls.${p}.title`)} (${key})`, onclick: () => onPanel(p) },
      h('span', { class: 'icon', 'aria-hidden': 'true' }, icon(ic)), h('span', { class: 'label' }, t(`controls.${p}.name`)), badge),
      badge,
    };
  }
  const menu = h('div', { class: 'react-menu', id: 'react-menu', role: 'group', 'aria-label': t('controls.react.name'), hidden: true },
    REACTIONS.map((e) => h('button', { type: 'button', class: 'react-pick', 'data-emoji': e, 'aria-label': t('controls.react.send', { emoji: e }),
      onclick: () => { onReact(e); closeMenu(true); } }, e)));
  const react = h('button', { type: 'button', id: 'btn-react', class: 'toggle', 'aria-expanded': 'false', 'aria-controls': 'react-menu',
    title: t('controls.react.title'), onclick: () => (menu.hidden ? openMenu() : closeMenu(true)) },
  h('span', { class: 'icon', 'aria-hidden': 'true' }, icon('smile')), h('span', { class: 'label' }, t('controls.react.name')));
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); closeMenu(true); } });
  const small = (/** @type {string} */ id, /** @type {string} */ ic, /** @type {string} */ stem, /** @type {() => void} */ fn, extra = {}) =>
    h('button', { type: 'button', id, class: 'toggle icon-only', title: t(`controls.${stem}Title`), 'aria-label': t(`controls.${stem}`), onclick: fn, ...extra },
      h('span', { class: 'icon', 'aria-hidden': 'true' }, icon(ic)));
  const grid = small('btn-grid', 'grid', 'grid', onGrid, { 'aria-pressed': 'false' });
  const devices = small('btn-devices', 'gear', 'devices', onDevices, { 'aria-haspopup': 'dialog' });
  const invite = small('btn-invite', 'link', 'invite', onInvite);
  const help = small('btn-help', 'help', 'help', onHelp, { 'aria-haspopup': 'dialog' });
  const leave = h('button', { type: 'button', id: 'btn-leave', class: 'danger', onclick: onLeave }, t('controls.leave'));
  const end = h('button', { type: 'button', id: 'btn-end', class: 'danger outline', onclick: onEnd, hidden: true, 'aria-haspopup': 'dialog' }, t('controls.end'));
  const el = h('div', { class: 'controls', role: 'toolbar', 'aria-label': t('controls.label') },
    h('div', { class: 'controls-media' }, TOGGLES.map(([k]) => buttons[k].el), h('span', { class: 'react-wrap' }, react, menu)),
    h('div', { class: 'controls-panels' }, panels.chat.el, panels.people.el, grid, devices, invite, help),
    h('div', { class: 'controls-exit' }, leave, end));

  function openMenu() {
    menu.hidden = false;
    react.setAttribute('aria-expanded', 'true');
    /** @type {HTMLElement|null} */ (menu.querySelector('button'))?.focus();
  }
  /** @param {boolean} refocus */
  function closeMenu(refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    react.setAttribute('aria-expanded', 'false');
    if (refocus) react.focus();
  }
  document.addEventListener('click', (e) => { if (!react.parentElement?.contains(/** @type {Node} */ (e.target))) closeMenu(false); });

  /**
   * render(state, {ended, host, unavailable: {key: reason}})
   * @param {Record<string, boolean>} state
   * @param {{ended?: boolean, host?: boolean, unavailable?: Record<string, string>}} [opts]
   */
  function render(state, { ended = false, host = false, unavailable = {} } = {}) {
    for (const [k, , name, crossOff, stem, key] of TOGGLES) {
      const b = buttons[/** @type {string} */ (k)];
      const v = !!state[/** @type {string} */ (k)];
      replace(b.icon, icon(/** @type {string} */ (name), !!crossOff && !v));
      b.text.textContent = t(`controls.${stem}.${v ? 'on' : 'off'}`);
      b.el.classList.toggle('on', v);
      b.el.classList.toggle('off', !v && (k === 'audio' || k === 'video'));
      b.el.setAttribute('aria-pressed', v ? 'true' : 'false');
      /** @type {HTMLButtonElement} */ (b.el).disabled = ended;
      b.el.title = unavailable[/** @type {string} */ (k)] || `${t(`controls.${stem}.${v ? 'doOff' : 'doOn'}`)} (${key})`;
    }
    for (const b of [react, devices, invite]) /** @type {HTMLButtonElement} */ (b).disabled = ended;
    /** @type {HTMLButtonElement} */ (leave).disabled = false;
    end.hidden = !host || ended;
  }

  /**
   * setPanels shows which panels are open, the chat's unread count and the raised hands.
   * @param {{chat: boolean, people: boolean}} open
   * @param {{unread?: number, hands?: number}} counts
   */
  function setPanels(open, { unread = 0, hands = 0 } = {}) {
    for (const [p] of PANELS) panels[p].el.setAttribute('aria-pressed', String(!!open[/** @type {'chat'|'people'} */ (p)]));
    const badge = (/** @type {HTMLElement} */ b, /** @type {number} */ n, /** @type {string} */ key) => {
      b.hidden = n === 0;
      b.textContent = String(n);
      b.setAttribute('aria-label', t(key, { n }));
    };
    badge(panels.chat.badge, unread, 'chat.unread');
    badge(panels.people.badge, hands, 'people.handsCount');
  }

  /** @param {boolean} gridOn */
  function setGrid(gridOn) {
    grid.setAttribute('aria-pressed', String(gridOn));
  }
  return { el, render, setPanels, setGrid, closeMenu };
}
