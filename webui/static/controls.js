// Control bar: microphone, camera, screen, hand, devices, leave, end.
// Each toggle is a button with a fixed name and aria-pressed = the state it
// shows ("Microphone, pressed" = the microphone is live); its visible text
// says the state and its title the action a click takes.
import { h, replace } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';

const TOGGLES = [
  // state key, button id, icon, crossed when off, i18n key stem
  ['audio', 'btn-mic', 'mic', true, 'mic'],
  ['video', 'btn-camera', 'camera', true, 'camera'],
  ['screenShare', 'btn-screen', 'screen', false, 'screen'],
  ['handRaised', 'btn-hand', 'hand', false, 'hand'],
];

// createControls: onToggle(key) flips one media state; onDevices opens the
// device settings; onLeave, onEnd.
export function createControls({ onToggle, onDevices, onLeave, onEnd }) {
  const buttons = {};
  for (const [k, id, , , stem] of TOGGLES) {
    const iconEl = h('span', { class: 'icon', 'aria-hidden': 'true' });
    const text = h('span', { class: 'label' });
    buttons[k] = { el: h('button', { type: 'button', id, class: 'toggle', 'aria-label': t(`controls.${stem}.name`), onclick: () => onToggle(k) }, iconEl, text), icon: iconEl, text };
  }
  const devices = h('button', { type: 'button', id: 'btn-devices', class: 'toggle', onclick: onDevices, 'aria-haspopup': 'dialog', title: t('controls.devicesTitle') },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, icon('gear')), h('span', { class: 'sr-only' }, t('controls.devices')));
  const leave = h('button', { type: 'button', id: 'btn-leave', class: 'danger', onclick: onLeave }, t('controls.leave'));
  const end = h('button', { type: 'button', id: 'btn-end', class: 'danger outline', onclick: onEnd, hidden: true }, t('controls.end'));
  const el = h('div', { class: 'controls', role: 'toolbar', 'aria-label': t('controls.label') },
    h('div', { class: 'controls-media' }, TOGGLES.map(([k]) => buttons[k].el), devices),
    h('div', { class: 'controls-exit' }, leave, end));

  // render(state, {ended, host, unavailable: {key: reason}})
  function render(state, { ended = false, host = false, unavailable = {} } = {}) {
    for (const [k, , name, crossOff, stem] of TOGGLES) {
      const b = buttons[k];
      const v = !!state[k];
      replace(b.icon, icon(name, crossOff && !v));
      b.text.textContent = t(`controls.${stem}.${v ? 'on' : 'off'}`);
      b.el.classList.toggle('on', v);
      b.el.classList.toggle('off', !v && (k === 'audio' || k === 'video'));
      b.el.setAttribute('aria-pressed', v ? 'true' : 'false');
      b.el.disabled = ended;
      b.el.title = unavailable[k] || t(`controls.${stem}.${v ? 'doOff' : 'doOn'}`);
    }
    devices.disabled = ended;
    leave.disabled = false;
    end.hidden = !host || ended;
  }
  return { el, render };
}
