// Video grid: one tile per participant (camera video or an avatar, their
// microphone played through a separate <audio>), one more per shared screen.
// Tiles are keyed by peer ID and kept across updates so playing elements are
// not restarted.
import { h, replace, shortId } from './dom.js';
import { icon } from './icons.js';

const ICONS = [
  // state key, icon, shown when off, text on, text off
  ['audio', 'mic', true, 'microphone on', 'microphone off'],
  ['video', 'camera', true, 'camera on', 'camera off'],
  ['screenShare', 'screen', false, 'sharing screen', ''],
  ['handRaised', 'hand', false, 'hand raised', ''],
];

function initials(name) {
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
  const soundBtn = h('button', { type: 'button', class: 'secondary small', id: 'enable-sound', hidden: true, onclick: () => unlock() }, '🔈 Click to hear the others');
  const empty = h('p', { class: 'muted tiles-empty' }, 'Nobody else is here yet. Share the join link.');
  const el = h('section', { class: 'stage' }, soundBtn, grid, empty);
  const tiles = new Map(); // key ("self", peerId, peerId + "#screen") -> tile
  let blocked = false;

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
    for (const t of tiles.values()) if (t.audio?.srcObject) play(t.audio);
  }

  function makeTile(key, peer, kind) {
    const video = h('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true; // the attribute alone does not mute
    const audio = kind === 'person' && key !== 'self' ? h('audio', { autoplay: true }) : null;
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
    const name = h('strong', {});
    const fp = h('span', { class: 'mono fp' });
    const icons = h('span', { class: 'tile-icons' });
    const status = h('span', { class: 'tile-status', role: 'status', hidden: true }, 'reconnecting…');
    const el = h('div', { class: `tile ${kind === 'screen' ? 'screen' : ''} ${key === 'self' ? 'self' : ''}`, 'data-peer': peer, 'data-source': kind === 'screen' ? 'screen' : 'camera' },
      video, avatar, audio,
      h('div', { class: 'tile-label' }, name, fp), icons, status);
    return { key, el, video, audio, avatar, name, fp, icons, status };
  }

  function fill(t, p, kind) {
    const st = p.state || {};
    const label = p.name || shortId(p.peerId) || 'someone';
    t.name.textContent = kind === 'screen' ? `${label} · screen` : label;
    t.fp.textContent = p.fingerprint || '';
    t.fp.title = p.peerId || '';
    t.avatar.textContent = initials(p.name || p.peerId);
    if (kind === 'screen') {
      if (setSrc(t.video, p.tracks?.screen)) play(t.video);
      t.el.dataset.video = 'on';
      return;
    }
    const cam = p.tracks?.camera;
    const videoOn = !!cam && st.video !== false;
    if (setSrc(t.video, cam)) play(t.video);
    t.el.dataset.video = st.video ? 'on' : 'off';
    t.el.dataset.audio = st.audio ? 'on' : 'off';
    t.el.dataset.hand = st.handRaised ? 'up' : 'down';
    t.el.dataset.screen = st.screenShare ? 'on' : 'off';
    t.el.classList.toggle('novideo', !videoOn);
    t.el.classList.toggle('speaking', !!st.speaking);
    t.el.classList.toggle('offline', p.online === false);
    t.el.classList.toggle('reconnecting', !!p.reconnecting);
    t.status.hidden = !p.reconnecting;
    t.el.classList.toggle('hand', !!st.handRaised);
    if (t.audio) {
      const mic = p.tracks?.mic;
      if (setSrc(t.audio, mic) && !blocked) play(t.audio);
    }
    replace(t.icons, ICONS.map(([k, name, showOff, onText, offText]) => {
      const v = !!st[k];
      if (!v && !showOff) return null;
      return h('span', { class: `icon ${k} ${v ? 'on' : 'off'}`, 'data-icon': k, 'data-on': v ? 'true' : 'false', title: v ? onText : offText, role: 'img', 'aria-label': v ? onText : offText }, icon(name, !v));
    }));
  }

  // render shows self (or null) and the remote people: each
  // {peerId, name, fingerprint, online, reconnecting, state:{audio,video,screenShare,handRaised,speaking}, tracks:{mic,camera,screen}}.
  function render(self, people) {
    const want = [];
    for (const p of people) {
      if (p.tracks?.screen) want.push([`${p.peerId}#screen`, p, 'screen']);
    }
    if (self?.tracks?.screen) want.push(['self#screen', self, 'screen']);
    if (self) want.push(['self', self, 'person']);
    for (const p of people) want.push([p.peerId, p, 'person']);
    const keep = new Set(want.map(([k]) => k));
    for (const [k, t] of tiles) {
      if (keep.has(k)) continue;
      t.video.srcObject = null;
      if (t.audio) t.audio.srcObject = null;
      t.el.remove();
      tiles.delete(k);
    }
    let prev = null;
    for (const [k, p, kind] of want) {
      let t = tiles.get(k);
      if (!t) {
        t = makeTile(k, k === 'self' || k === 'self#screen' ? 'self' : p.peerId, kind);
        tiles.set(k, t);
      }
      fill(t, p, kind);
      // keep DOM order = wanted order without moving elements needlessly
      const next = prev ? prev.nextSibling : grid.firstChild;
      if (next !== t.el) grid.insertBefore(t.el, next);
      prev = t.el;
    }
    empty.hidden = people.length > 0;
    grid.dataset.count = String(want.length);
  }

  return { el, render, unlock };
}
