// "You are muted": while the microphone is off, a copy of its track (kept
// for instant unmuting, never sent) is measured here; talking into it shows
// a hint for a few seconds. A page that never had a microphone shows none.
import { h } from './dom.js';
import { t } from './i18n.js';

const LOUD = 0.02; // RMS above which the person is taken to be talking
const SHOW_AFTER = 2; // loud ticks within WINDOW_MS before the hint shows (not one cough)
const WINDOW_MS = 2000;
const HIDE_AFTER_MS = 3000;

/**
 * createMutedHint watches mic() while muted() says the microphone is off.
 * @param {() => MediaStreamTrack|null} mic
 * @param {() => boolean} muted
 */
export function createMutedHint(mic, muted) {
  const el = h('p', { class: 'muted-hint', id: 'muted-hint', role: 'status', hidden: true }, t('hint.muted'));
  /** @type {{src: MediaStreamTrack, copy: MediaStreamTrack, ctx: AudioContext, an: AnalyserNode}|null} */
  let m = null;
  /** @type {number[]} */
  let loud = []; // when recent ticks were loud
  const buf = new Float32Array(512);

  function detach() {
    if (!m) return;
    m.copy.stop();
    m.ctx.close().catch(() => {});
    m = null;
  }

  function tick() {
    const src = muted() ? mic() : null;
    if (!src || src.readyState === 'ended' || typeof AudioContext === 'undefined') {
      detach();
      el.hidden = true;
      loud = [];
      return;
    }
    if (m?.src !== src) {
      detach();
      const copy = src.clone();
      copy.enabled = true;
      const ctx = new AudioContext();
      const an = ctx.createAnalyser();
      an.fftSize = buf.length;
      ctx.createMediaStreamSource(new MediaStream([copy])).connect(an);
      ctx.resume?.().catch(() => {});
      m = { src, copy, ctx, an };
    }
    m.an.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const x of buf) sum += x * x;
    const now = Date.now();
    if (Math.sqrt(sum / buf.length) > LOUD) loud.push(now);
    loud = loud.filter((at) => now - at < Math.max(WINDOW_MS, HIDE_AFTER_MS));
    if (loud.filter((at) => now - at < WINDOW_MS).length >= SHOW_AFTER) el.hidden = false;
    else if (!loud.length) el.hidden = true;
  }
  const timer = setInterval(tick, 150);
  return {
    el,
    stop() {
      clearInterval(timer);
      detach();
      el.hidden = true;
    },
  };
}
