// The device dialog of the meeting room: the pre-join step's pickers, level
// meter and test sound, changing devices while the meeting goes on (the new
// track replaces the old one on the same sender; nothing is renegotiated).
import { h, toast } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { devicePickers, levelMeter, savePrefs, testSound, deviceErrorText, errorKind } from './devices.js';

// createDeviceDialog: mic() is the microphone track now in use (for the
// meter); onPick(kind, deviceId) switches (a promise; its error is shown).
export function createDeviceDialog({ mic, onPick }) {
  const meter = levelMeter();
  const pickers = devicePickers(async (kind, id) => {
    savePrefs({ [kind]: id });
    try {
      await onPick(kind, id);
    } catch (e) {
      toast(deviceErrorText(kind === 'camera' ? 'camera' : 'mic', errorKind(e)), true);
    }
    meter.attach(mic());
  });
  const dialog = h('dialog', { id: 'devices-dialog', class: 'card devices-dialog', 'aria-labelledby': 'devices-title', onclose: () => meter.stop() },
    h('h2', { id: 'devices-title' }, t('controls.devices')),
    pickers.el,
    h('div', { class: 'row' }, icon('mic'), meter.el),
    h('div', { class: 'row between' },
      h('button', { type: 'button', class: 'secondary', id: 'dlg-test-sound', onclick: () => testSound().catch((e) => toast(t('device.soundFailed', { msg: e.message }), true)) },
        icon('speaker'), ' ', t('prejoin.testSound')),
      h('button', { type: 'button', id: 'devices-close', onclick: () => dialog.close() }, t('common.close'))));
  document.body.append(dialog);

  async function open() {
    await pickers.refresh();
    if (!dialog.open) dialog.showModal();
    meter.attach(mic());
  }
  function close() {
    if (dialog.open) dialog.close();
  }
  return { open, close };
}
