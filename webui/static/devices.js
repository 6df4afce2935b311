// Devices: the microphone, camera and speaker this browser uses, remembered
// in localStorage; capture by device; device errors in plain words; the
// pickers, level meter and test sound of the pre-join step and the in-meeting
// device dialog.
import { h, replace } from './dom.js';
import { t } from './i18n.js';

const KEY = 'meshmeet.devices';
const DEFAULTS = { mic: '', camera: '', speaker: '', micOn: true, camOn: true };

// loadPrefs: {mic, camera, speaker (deviceIds, '' = default), micOn, camOn}.
export function loadPrefs() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}');
    return { ...DEFAULTS, ...(v && typeof v === 'object' ? v : {}) };
  } catch {
    return { ...DEFAULTS };
  }
}

export function savePrefs(change) {
  const p = { ...loadPrefs(), ...change };
  try { localStorage.setItem(KEY, JSON.stringify(p)); } catch { /* storage blocked */ }
  return p;
}

const one = (id) => (id ? { deviceId: { exact: id } } : true);

// gum opens constraints, and the default device instead when a remembered
// one is gone (unplugged, or another browser profile's ID).
async function gum(c) {
  try {
    return await navigator.mediaDevices.getUserMedia(c);
  } catch (e) {
    if (e?.name !== 'OverconstrainedError' && e?.name !== 'NotFoundError') throw e;
    const loose = {};
    for (const k of Object.keys(c)) loose[k] = true;
    return navigator.mediaDevices.getUserMedia(loose);
  }
}

export function mediaAvailable() {
  return !!navigator.mediaDevices?.getUserMedia;
}

// captureMic / captureCamera open one device (the remembered one by default).
export async function captureMic(id = loadPrefs().mic) {
  const s = await gum({ audio: one(id) });
  return s.getAudioTracks()[0];
}

export async function captureCamera(id = loadPrefs().camera) {
  const s = await gum({ video: one(id) });
  return s.getVideoTracks()[0];
}

// captureBoth opens the wanted devices with one prompt where it can; a
// failure is retried per device so each error belongs to its device.
// It resolves to {audio, video, errors: {mic, camera}} (errors are kinds:
// denied, busy, missing, insecure, other).
export async function captureBoth({ mic, camera }, prefs = loadPrefs()) {
  const out = { audio: null, video: null, errors: {} };
  if (!mediaAvailable()) {
    if (mic) out.errors.mic = 'insecure';
    if (camera) out.errors.camera = 'insecure';
    return out;
  }
  if (mic && camera) {
    try {
      const s = await gum({ audio: one(prefs.mic), video: one(prefs.camera) });
      out.audio = s.getAudioTracks()[0] || null;
      out.video = s.getVideoTracks()[0] || null;
      return out;
    } catch { /* learn which one below */ }
  }
  if (mic) {
    try { out.audio = await captureMic(prefs.mic); } catch (e) { out.errors.mic = errorKind(e); }
  }
  if (camera) {
    try { out.video = await captureCamera(prefs.camera); } catch (e) { out.errors.camera = errorKind(e); }
  }
  return out;
}

// errorKind sorts getUserMedia's errors into what a person can act on.
export function errorKind(e) {
  switch (e?.name) {
    case 'NotAllowedError': case 'SecurityError': case 'PermissionDeniedError': return 'denied';
    case 'NotReadableError': case 'TrackStartError': case 'AbortError': return 'busy';
    case 'NotFoundError': case 'DevicesNotFoundError': case 'OverconstrainedError': return 'missing';
    default: return 'other';
  }
}

// deviceErrorText: a sentence for what (mic | camera) failing with kind.
export function deviceErrorText(what, kind) {
  return t(`device.${kind}`, { device: t(`device.${what}`) });
}

// listDevices: {mic, camera, speaker} arrays of {id, label}.
export async function listDevices() {
  const out = { mic: [], camera: [], speaker: [] };
  let all = [];
  try { all = await navigator.mediaDevices.enumerateDevices(); } catch { return out; }
  const kinds = { audioinput: 'mic', videoinput: 'camera', audiooutput: 'speaker' };
  for (const d of all) {
    const k = kinds[d.kind];
    if (!k || !d.deviceId || d.deviceId === 'communications') continue;
    out[k].push({ id: d.deviceId === 'default' ? '' : d.deviceId, label: d.label });
  }
  for (const k of Object.keys(out)) {
    if (!out[k].some((d) => d.id === '')) out[k].unshift({ id: '', label: '' });
  }
  return out;
}

export const canPickSpeaker = () => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

// devicePickers: three labelled selects; onPick(kind, deviceId) after a change.
export function devicePickers(onPick) {
  const sel = {};
  const rows = [];
  for (const k of ['mic', 'camera', 'speaker']) {
    sel[k] = h('select', { id: `pick-${k}`, name: k, onchange: () => onPick(k, sel[k].value) });
    const row = h('label', { class: 'picker' }, t(`device.pick.${k}`), sel[k]);
    if (k === 'speaker' && !canPickSpeaker()) row.hidden = true;
    rows.push(row);
  }
  const el = h('div', { class: 'pickers' }, rows);

  // refresh lists the devices, the remembered ones selected.
  async function refresh() {
    const devs = await listDevices();
    const prefs = loadPrefs();
    for (const k of Object.keys(sel)) {
      replace(sel[k], devs[k].map((d, i) => h('option', { value: d.id },
        d.id === '' ? t('device.default') : (d.label || t('device.numbered', { device: t(`device.${k}`), n: i + 1 })))));
      sel[k].value = devs[k].some((d) => d.id === prefs[k]) ? prefs[k] : '';
    }
  }
  navigator.mediaDevices?.addEventListener?.('devicechange', refresh);
  return { el, refresh, sel };
}

// levelMeter shows the loudness of an audio track (0..100 in data-level).
export function levelMeter() {
  const bar = h('span', { class: 'level-bar' });
  const el = h('span', { class: 'level', id: 'mic-level', role: 'meter', 'aria-label': t('device.level'), 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'data-level': '0' }, bar);
  let ctx = null;
  let raf = 0;
  let timer = 0;
  function stop() {
    cancelAnimationFrame(raf);
    clearInterval(timer);
    ctx?.close().catch(() => {});
    ctx = null;
    set(0);
  }
  function set(v) {
    bar.style.width = `${v}%`;
    el.dataset.level = String(v);
    el.setAttribute('aria-valuenow', String(v));
  }
  // attach follows track (null: silence).
  function attach(track) {
    stop();
    if (!track || typeof AudioContext === 'undefined') return;
    ctx = new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 512;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(an);
    const buf = new Float32Array(an.fftSize);
    const tick = () => {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      const rms = Math.sqrt(sum / buf.length);
      set(Math.min(100, Math.round(Math.sqrt(rms) * 140)));
    };
    // a timer, not only animation frames: those stop in a hidden tab
    timer = setInterval(tick, 100);
    ctx.resume?.().catch(() => {});
  }
  return { el, attach, stop };
}

// testSound plays a short two-tone chime through speaker deviceId.
export async function testSound(sinkId = loadPrefs().speaker) {
  const rate = 22050;
  const n = Math.floor(rate * 0.7);
  const data = new DataView(new ArrayBuffer(44 + n * 2));
  const str = (o, s) => { for (let i = 0; i < s.length; i++) data.setUint8(o + i, s.charCodeAt(i)); };
  str(0, 'RIFF'); data.setUint32(4, 36 + n * 2, true); str(8, 'WAVE'); str(12, 'fmt ');
  data.setUint32(16, 16, true); data.setUint16(20, 1, true); data.setUint16(22, 1, true);
  data.setUint32(24, rate, true); data.setUint32(28, rate * 2, true); data.setUint16(32, 2, true);
  data.setUint16(34, 16, true); str(36, 'data'); data.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    const f = i < n / 2 ? 660 : 880;
    const env = Math.min(1, i / 400, (n - i) / 800);
    data.setInt16(44 + i * 2, Math.sin((2 * Math.PI * f * i) / rate) * 12000 * env, true);
  }
  const url = URL.createObjectURL(new Blob([data], { type: 'audio/wav' }));
  const audio = new Audio(url);
  audio.addEventListener('ended', () => URL.revokeObjectURL(url));
  if (sinkId && audio.setSinkId) await audio.setSinkId(sinkId).catch(() => {});
  await audio.play();
  return audio;
}
