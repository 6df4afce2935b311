// Video grid: one tile per participant (camera video or an avatar, their
// microphone played through a separate <audio>), one more per shared screen.
// Tiles are keyed by peer ID and kept across updates so playing elements are
// not restarted.
import { h, replace, shortId } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';

const ICONS = [
  // state key, icon, shown when off, i18n key when on, when off
  ['audio', 'mic', true, 'state.micOn', 'state.micOff'],
  ['video', 'camera', true, 'state.cameraOn', 'state.cameraOff'],
  ['screenShare', 'screen', false, 'state.sharing', ''],
  ['handRaised', 'hand', false, 'state.hand', ''],
];

// initials: the first letters of the first two words of a name.
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] || '?').slice(0, 2)).toUpperCase();
}

function setSrc(el, track) {
  const cur = el.srcObject?.getTracks()[0] || null;
  if (cur === (track || null)) return false;
  el.srcObject = track ? new MediaStream([track]) : null;
  return !!track;
}

export function createTiles() {
  const grid = h('div', { class: 'tiles', id: 'tiles' });
  const soundBtn = h('button', { type: 'button', class: 'secondary small', id: 'enable-sound', hidden: true, onclick: () => unlock() }, icon('speaker'), ' ', t('tiles.unlock'));
  const empty = h('p', { class: 'muted tiles-empty' }, t('tiles.empty'));
  const el = h('section', { class: 'stage' }, soundBtn, grid, empty);
  const tiles = new Map(); // key ("self", peerId, peerId + "#screen") -> tile
  let blocked = false;
  let sinkId = ''; // the chosen speaker ('' = the default)

  function play(media) {
    const p = media.play?.();
    if (p && p.catch) {
      p.catch((e) => {
        if (e?.name === 'NotAllowedError' && !media.muted) { blocked = true; soundBtn.hidden = false; }
      });
    }
  }

  function unlock() {
    blocked = false;
    soundBtn.hidden = true;
    for (const tl of tiles.values()) if (tl.audio?.srcObject) play(tl.audio);
  }

  function makeTile(key, peer, kind) {
    const video = h('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true; // the attribute alone does not mute
    const audio = kind === 'person' && key !== 'self' ? h('audio', { autoplay: true }) : null;
    if (audio && sinkId && audio.setSinkId) audio.setSinkId(sinkId).catch(() => {});
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
    const name = h('strong', {});
    const fp = h('span', { class: 'mono fp' });
    const icons = h('span', { class: 'tile-icons' });
    const status = h('span', { class: 'tile-status', role: 'status', hidden: true }, t('tiles.reconnecting'));
    const el = h('div', { class: `tile ${kind === 'screen' ? 'screen' : ''} ${key === 'self' ? 'self' : ''}`, 'data-peer': peer, 'data-source': kind === 'screen' ? 'screen' : 'camera' },
      video, avatar, audio,
      h('div', { class: 'tile-label' }, name, fp), icons, status);
    return { key, el, video, audio, avatar, name, fp, icons, status };
  }

  function fill(tl, p, kind) {
    const st = p.state || {};
    const who = p.name || shortId(p.peerId) || t('common.someone');
    const label = p.self ? t('tiles.you', { name: who }) : who;
    tl.name.textContent = kind === 'screen' ? t('tiles.screen', { name: label }) : label;
    tl.fp.textContent = p.fingerprint || '';
    tl.fp.title = p.peerId || '';
    tl.avatar.textContent = initials(p.name || p.peerId);
    if (kind === 'screen') {
      if (setSrc(tl.video, p.tracks?.screen)) play(tl.video);
      tl.el.dataset.video = 'on';
      return;
    }
    const cam = p.tracks?.camera;
    const videoOn = !!cam && st.video !== false;
    if (setSrc(tl.video, cam)) play(tl.video);
    tl.el.dataset.video = st.video ? 'on' : 'off';
    tl.el.dataset.audio = st.audio ? 'on' : 'off';
    tl.el.dataset.hand = st.handRaised ? 'up' : 'down';
    tl.el.dataset.screen = st.screenShare ? 'on' : 'off';
    tl.el.classList.toggle('novideo', !videoOn);
    tl.el.classList.toggle('speaking', !!st.speaking);
    tl.el.classList.toggle('offline', p.online === false);
    tl.el.classList.toggle('reconnecting', !!p.reconnecting);
    tl.status.hidden = !p.reconnecting;
    tl.el.classList.toggle('hand', !!st.handRaised);
    if (tl.audio) {
      const mic = p.tracks?.mic;
      if (setSrc(tl.audio, mic) && !blocked) play(tl.audio);
    }
    replace(tl.icons, ICONS.map(([k, name, showOff, onText, offText]) => {
      const v = !!st[k];
      if (!v && !showOff) return null;
      return h('span', { class: `icon ${k} ${v ? 'on' : 'off'}`, 'data-icon': k, 'data-on': v ? 'true' : 'false', title: t(v ? onText : offText), role: 'img', 'aria-label': t(v ? onText : offText) }, icon(name, !v));
    }));
  }

  // render shows self (or null) and the remote people: each
  // {peerId, name, fingerprint, online, reconnecting, state:{audio,video,screenShare,handRaised,speaking}, tracks:{mic,camera,screen}}.
  // A screen tile shows only while its owner says they share: a stopped share's
  // track may linger (frozen on its last frame) until the next negotiation.
  function render(self, people) {
    const want = [];
    for (const p of people) {
      if (p.tracks?.screen && p.state?.screenShare) want.push([`${p.peerId}#screen`, p, 'screen']);
    }
    if (self?.tracks?.screen && self.state?.screenShare) want.push(['self#screen', self, 'screen']);
    if (self) want.push(['self', self, 'person']);
    for (const p of people) want.push([p.peerId, p, 'person']);
    const keep = new Set(want.map(([k]) => k));
    for (const [k, tl] of tiles) {
      if (keep.has(k)) continue;
      tl.video.srcObject = null;
      if (tl.audio) tl.audio.srcObject = null;
      tl.el.remove();
      tiles.delete(k);
    }
    let prev = null;
    for (const [k, p, kind] of want) {
      let tl = tiles.get(k);
      if (!tl) {
        tl = makeTile(k, k === 'self' || k === 'self#screen' ? 'self' : p.peerId, kind);
        tiles.set(k, tl);
      }
      fill(tl, p, kind);
      // keep DOM order = wanted order without moving elements needlessly
      const next = prev ? prev.nextSibling : grid.firstChild;
      if (next !== tl.el) grid.insertBefore(tl.el, next);
      prev = tl.el;
    }
    empty.hidden = people.length > 0;
    grid.dataset.count = String(want.length);
  }

  // setSink plays everyone through the speaker deviceId ('' = the default).
  function setSink(id) {
    sinkId = id || '';
    for (const tl of tiles.values()) if (tl.audio?.setSinkId) tl.audio.setSinkId(sinkId).catch(() => {});
  }

  return { el, render, unlock, setSink };
}
