// Pre-join: the step before every way into a meeting. It shows a live
// camera preview, a microphone level meter, device pickers, a test sound and
// the name the others will see; nothing reaches the meeting (no join, no
// media sent) until the person clicks Join. Their choices are remembered.
import { h, replace, toast } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { initials } from './tiles.js';
import {
  loadPrefs, savePrefs, captureBoth, captureMic, captureCamera, errorKind, deviceErrorText,
  devicePickers, levelMeter, testSound,
} from './devices.js';

// preJoin shows the step in app. onJoin({audio, video}) runs on Join with
// the live tracks (null for a device turned off); while it runs the button
// waits, and a thrown error is shown here (the step stays). It resolves to
// a handle: {fail(message), close()}.
export function preJoin(app, { title = '', name = '', lobby = false, onJoin }) {
  const prefs = loadPrefs();
  const st = { micOn: prefs.micOn, camOn: prefs.camOn, audio: null, video: null, errors: {}, closed: false };
  const video = h('video', { id: 'prejoin-video', autoplay: true, playsinline: true, muted: true });
  video.muted = true;
  const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(name || '?'));
  const camNote = h('p', { class: 'preview-note', id: 'preview-note' });
  const preview = h('div', { class: 'tile self preview' }, video, avatar, camNote);
  const meter = levelMeter();
  const micBtn = h('button', { type: 'button', id: 'pj-mic', class: 'toggle', 'aria-label': t('controls.mic.name'), onclick: () => setOn('mic', !st.micOn) });
  const camBtn = h('button', { type: 'button', id: 'pj-camera', class: 'toggle', 'aria-label': t('controls.camera.name'), onclick: () => setOn('camera', !st.camOn) });
  const problems = h('div', { id: 'device-problems', class: 'problems', role: 'alert' });
  const joinError = h('p', { id: 'prejoin-error', class: 'error', role: 'alert', hidden: true });
  const pickers = devicePickers((kind, id) => pick(kind, id));
  const join = h('button', { type: 'button', id: 'btn-join', class: 'big', onclick: () => doJoin() }, t(lobby ? 'prejoin.ask' : 'prejoin.join'));
  const sound = h('button', { type: 'button', id: 'btn-test-sound', class: 'secondary', onclick: () => testSound().catch((e) => toast(t('device.soundFailed', { msg: e.message }), true)) },
    icon('speaker'), ' ', t('prejoin.testSound'));

  replace(app, h('section', { class: 'card prejoin', id: 'prejoin', 'aria-labelledby': 'prejoin-title' },
    h('h1', { id: 'prejoin-title' }, t('prejoin.title')),
    title ? h('p', { class: 'prejoin-meeting' }, title) : null,
    h('div', { class: 'prejoin-body' },
      h('div', { class: 'prejoin-preview' }, preview,
        h('div', { class: 'row' }, icon('mic'), meter.el),
        h('div', { class: 'row wrap' }, micBtn, camBtn)),
      h('div', { class: 'prejoin-side' },
        h('p', { id: 'prejoin-name' }, t('prejoin.as'), ' ', h('strong', {}, name || t('common.unnamed'))),
        pickers.el,
        sound,
        problems,
        joinError,
        join,
        lobby ? h('p', { class: 'muted small' }, t('prejoin.lobbyNote')) : null,
        h('p', {}, h('a', { href: '/' }, t('common.backHome')))))));

  function render() {
    for (const [b, on, stem] of [[micBtn, st.micOn, 'mic'], [camBtn, st.camOn, 'camera']]) {
      replace(b, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon(stem, !on)), ' ', h('span', { class: 'label' }, t(`controls.${stem}.${on ? 'on' : 'off'}`)));
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.title = t(`controls.${stem}.${on ? 'doOff' : 'doOn'}`);
      b.classList.toggle('on', on);
      b.classList.toggle('off', !on);
    }
    const showVideo = st.camOn && !!st.video;
    preview.classList.toggle('novideo', !showVideo);
    if ((video.srcObject?.getTracks()[0] || null) !== (showVideo ? st.video : null)) {
      video.srcObject = showVideo ? new MediaStream([st.video]) : null;
      if (showVideo) video.play().catch(() => {});
    }
    camNote.textContent = st.camOn ? (st.video ? '' : t('prejoin.noCamera')) : t('prejoin.cameraOff');
    camNote.hidden = !camNote.textContent;
    meter.attach(st.micOn ? st.audio : null);
    replace(problems, ['mic', 'camera'].filter((k) => st.errors[k] && (k === 'mic' ? st.micOn : st.camOn)).map((k) =>
      h('div', { class: 'problem', 'data-device': k, 'data-kind': st.errors[k] },
        h('p', { class: 'error' }, deviceErrorText(k, st.errors[k])),
        h('div', { class: 'row wrap' },
          h('button', { type: 'button', class: 'secondary without', onclick: () => setOn(k, false) }, t(`prejoin.without.${k}`)),
          h('button', { type: 'button', class: 'secondary', onclick: () => retry(k) }, t('prejoin.retry'))))));
  }

  const field = (k) => (k === 'mic' ? 'audio' : 'video');

  function drop(k) {
    st[field(k)]?.stop();
    st[field(k)] = null;
  }

  async function open(k) {
    try {
      const tr = k === 'mic' ? await captureMic() : await captureCamera();
      if (st.closed || !(k === 'mic' ? st.micOn : st.camOn)) { tr.stop(); return; }
      drop(k);
      st[field(k)] = tr;
      delete st.errors[k];
    } catch (e) {
      st.errors[k] = errorKind(e);
    }
    render();
  }

  // busy: device openings under way; Join waits for them, so a quick click
  // joins with the devices that are about to open.
  /** @type {Promise<unknown>} */
  let busy = Promise.resolve();
  const track = (p) => { busy = Promise.all([busy, p.catch(() => {})]); return p; };

  function setOn(k, on) {
    if (k === 'mic') st.micOn = on; else st.camOn = on;
    savePrefs(k === 'mic' ? { micOn: on } : { camOn: on });
    if (!on) {
      drop(k);
      delete st.errors[k];
      render();
      return;
    }
    render();
    track(open(k));
  }

  function retry(k) {
    delete st.errors[k];
    render();
    track(open(k));
  }

  function pick(kind, id) {
    savePrefs({ [kind]: id });
    if (kind === 'speaker') return;
    if (kind === 'mic' ? st.micOn : st.camOn) track(open(kind));
  }

  async function doJoin() {
    join.disabled = true;
    joinError.hidden = true;
    savePrefs({ micOn: st.micOn, camOn: st.camOn });
    try {
      await busy;
      await onJoin({ audio: st.micOn ? st.audio : null, video: st.camOn ? st.video : null });
      // the tracks now belong to the meeting
      st.closed = true;
      meter.stop();
      video.srcObject = null;
    } catch (e) {
      joinError.textContent = e.message;
      joinError.hidden = false;
      join.disabled = false;
    }
  }

  function close() {
    st.closed = true;
    meter.stop();
    drop('mic');
    drop('camera');
  }
  window.addEventListener('pagehide', close, { once: true });

  render();
  track((async () => {
    const got = await captureBoth({ mic: st.micOn, camera: st.camOn });
    if (st.closed) { got.audio?.stop(); got.video?.stop(); return; }
    // a toggle clicked meanwhile wins
    if (st.micOn && !st.audio) st.audio = got.audio; else got.audio?.stop();
    if (st.camOn && !st.video) st.video = got.video; else got.video?.stop();
    st.errors = { ...got.errors, ...st.errors };
    render();
  })());
  busy.then(() => pickers.refresh()); // labels are known once a device is open
  join.focus();
  return { close };
}
