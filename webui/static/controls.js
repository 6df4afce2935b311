// Control bar: microphone, camera, screen, hand, leave, end.
import { h, replace } from './dom.js';
import { icon } from './icons.js';

const TOGGLES = [
  // state key, button id, icon, crossed when off, label when on, label when off
  ['audio', 'btn-mic', 'mic', true, 'Mute', 'Unmute'],
  ['video', 'btn-camera', 'camera', true, 'Stop video', 'Start video'],
  ['screenShare', 'btn-screen', 'screen', false, 'Stop sharing', 'Share screen'],
  ['handRaised', 'btn-hand', 'hand', false, 'Lower hand', 'Raise hand'],
];

// createControls: onToggle(key) flips one media state; onLeave, onEnd.
export function createControls({ onToggle, onLeave, onEnd }) {
  const buttons = {};
  for (const [k, id] of TOGGLES) {
    const iconEl = h('span', { class: 'icon', 'aria-hidden': 'true' });
    const text = h('span', { class: 'label' });
    buttons[k] = { el: h('button', { type: 'button', id, class: 'toggle', onclick: () => onToggle(k) }, iconEl, text), icon: iconEl, text };
  }
  const leave = h('button', { type: 'button', id: 'btn-leave', class: 'danger', onclick: onLeave }, 'Leave');
  const end = h('button', { type: 'button', id: 'btn-end', class: 'danger outline', onclick: onEnd, hidden: true }, 'End for everyone');
  const el = h('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Meeting controls' },
    h('div', { class: 'controls-media' }, TOGGLES.map(([k]) => buttons[k].el)),
    h('div', { class: 'controls-exit' }, leave, end));

  // render(state, {ended, host, unavailable: {key: reason}})
  function render(state, { ended = false, host = false, unavailable = {} } = {}) {
    for (const [k, , name, crossOff, onText, offText] of TOGGLES) {
      const b = buttons[k];
      const v = !!state[k];
      replace(b.icon, icon(name, crossOff && !v));
      b.text.textContent = v ? onText : offText;
      b.el.classList.toggle('on', v);
      b.el.classList.toggle('off', !v && (k === 'audio' || k === 'video'));
      b.el.setAttribute('aria-pressed', v ? 'true' : 'false');
      b.el.disabled = ended;
      b.el.title = unavailable[k] || (v ? onText : offText);
      b.el.setAttribute('aria-label', v ? onText : offText);
    }
    leave.disabled = false;
    end.hidden = !host || ended;
  }
  return { el, render };
}
