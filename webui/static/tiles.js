// Video area: one tile per participant (camera video or an avatar, their
// microphone played through a separate <audio>), one more per shared screen.
// Tiles are keyed and kept across updates so playing elements are not
// restarted. Two layouts: a grid that fills the area (the column count that
// makes tiles largest, paged past PAGE_SIZE), or a stage with one tile large
// and the rest in a strip — the pinned tile, else the newest screen share.
// Every tile keeps data-peer and data-source (viewsize.js reads them).
import { h, replace, shortId } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { bestGrid, pageOf } from './layout.js';

const ICONS = [
  // state key, icon, shown when off, i18n key when on, when off
  ['audio', 'mic', true, 'state.micOn', 'state.micOff'],
  ['video', 'camera', true, 'state.cameraOn', 'state.cameraOff'],
  ['screenShare', 'screen', false, 'state.sharing', ''],
  ['handRaised', 'hand', false, 'state.hand', ''],
];

const REACTION_MS = 4000; // how long a reaction shows on its tile

/**
 * @typedef {{audio?: boolean, video?: boolean, screenShare?: boolean, handRaised?: boolean, speaking?: boolean}} TileState
 * @typedef {{peerId: string, self?: boolean, name?: string, fingerprint?: string, online?: boolean, reconnecting?: boolean,
 *   state?: TileState, tracks?: {mic?: MediaStreamTrack|null, camera?: MediaStreamTrack|null, screen?: MediaStreamTrack|null}}} TilePerson
 * @typedef {{level: string, text: string}} Quality
 */

/**
 * initials: the first letters of the first two words of a name.
 * @param {string} name
 */
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] || '?').slice(0, 2)).toUpperCase();
}

/**
 * @param {HTMLMediaElement} el
 * @param {MediaStreamTrack|null|undefined} track
 */
function setSrc(el, track) {
  const cur = /** @type {MediaStream|null} */ (el.srcObject)?.getTracks()[0] || null;
  if (cur === (track || null)) return false;
  el.srcObject = track ? new MediaStream([track]) : null;
  return !!track;
}

/**
 * createTiles builds the video area.
 * @param {{onLayout?: (info: {layout: string, pinned: string, hideSelf: boolean}) => void}} [opts]
 */
export function createTiles({ onLayout = () => {} } = {}) {
  const main = h('div', { class: 'stage-main', id: 'stage-main' });
  const strip = h('div', { class: 'strip', id: 'strip' });
  const area = h('div', { class: 'tiles', id: 'tiles', 'data-layout': 'grid' }, main, strip);
  const soundBtn = h('button', { type: 'button', class: 'secondary small', id: 'enable-sound', hidden: true, onclick: () => unlock() }, icon('speaker'), ' ', t('tiles.unlock'));
  const showSelf = h('button', { type: 'button', class: 'secondary small', id: 'show-self', hidden: true, onclick: () => setHideSelf(false) }, t('tiles.showSelf'));
  const prev = h('button', { type: 'button', class: 'secondary small', id: 'page-prev', 'aria-label': t('tiles.pagePrev'), onclick: () => turn(-1) }, '‹');
  const next = h('button', { type: 'button', class: 'secondary small', id: 'page-next', 'aria-label': t('tiles.pageNext'), onclick: () => turn(1) }, '›');
  const pageText = h('span', { class: 'small', id: 'page-text' });
  const pager = h('nav', { class: 'pager', id: 'pager', 'aria-label': t('tiles.pages'), hidden: true }, prev, pageText, next);
  const empty = h('p', { class: 'tiles-empty' }, t('tiles.empty'));
  const bar = h('div', { class: 'stage-bar' }, soundBtn, showSelf, pager);
  const el = h('section', { class: 'stage', id: 'stage', 'aria-label': t('tiles.label') }, bar, area, empty);
  /** @type {Map<string, ReturnType<typeof makeTile>>} */
  const tiles = new Map(); // key ("self", peerId, peerId + "#screen") -> tile
  /** @type {string[]} */
  let order = []; // keys in display order
  let blocked = false;
  let sinkId = ''; // the chosen speaker ('' = the default)
  let pinned = ''; // key of the pinned tile, '' = none
  let gridOnly = false; // W: the grid even while someone shares
  let hideSelf = false;
  let page = 0;
  let lastSelf = /** @type {TilePerson|null} */ (null);
  let lastPeople = /** @type {TilePerson[]} */ ([]);

  /** @param {HTMLMediaElement} media */
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

  /**
   * @param {string} key
   * @param {string} peer
   * @param {'person'|'screen'} kind
   */
  function makeTile(key, peer, kind) {
    const video = /** @type {HTMLVideoElement} */ (h('video', { autoplay: true, playsinline: true, muted: true }));
    video.muted = true; // the attribute alone does not mute
    const audio = kind === 'person' && key !== 'self' ? /** @type {HTMLAudioElement} */ (h('audio', { autoplay: true })) : null;
    if (audio && sinkId && audio.setSinkId) audio.setSinkId(sinkId).catch(() => {});
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
    const name = h('strong', {});
    const fp = h('span', { class: 'mono fp' });
    const icons = h('span', { class: 'tile-icons' });
    const status = h('span', { class: 'tile-status', role: 'status', hidden: true }, t('tiles.reconnecting'));
    const pin = h('button', { type: 'button', class: 'tile-btn tile-pin', 'aria-pressed': 'false', onclick: () => togglePin(key) }, icon('pin'));
    const hide = key === 'self' ? h('button', { type: 'button', class: 'tile-btn tile-hide', id: 'hide-self', title: t('tiles.hideSelf'), 'aria-label': t('tiles.hideSelf'), onclick: () => setHideSelf(true) }, icon('eyeOff')) : null;
    const qdetail = h('span', { class: 'tile-quality-detail', role: 'status', hidden: true });
    const quality = kind === 'person' && key !== 'self'
      ? h('button', { type: 'button', class: 'tile-btn tile-quality', 'data-quality': 'unknown', 'aria-expanded': 'false',
        onclick: () => { qdetail.hidden = !qdetail.hidden; quality?.setAttribute('aria-expanded', String(!qdetail.hidden)); } },
      h('span', { class: 'bars', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { class: 'sr-only' }, ''))
      : null;
    const reaction = h('span', { class: 'tile-reaction', 'aria-hidden': 'true', hidden: true });
    const el = h('div', {
      class: `tile ${kind === 'screen' ? 'screen' : ''} ${key === 'self' ? 'self' : ''}`,
      'data-peer': peer, 'data-source': kind === 'screen' ? 'screen' : 'camera', 'data-key': key,
    },
    video, avatar, audio,
    h('div', { class: 'tile-label' }, name, fp), icons, status, reaction,
    h('div', { class: 'tile-tools' }, quality, pin, hide), qdetail);
    // A click on the picture pins; the buttons in the tile do their own thing.
    el.addEventListener('click', (e) => { if (e.target === video || e.target === avatar || e.target === el) togglePin(key); });
    return { key, el, video, audio, avatar, name, fp, icons, status, pin, quality, qdetail, reaction, reactionTimer: 0, label: '' };
  }

  /**
   * @param {ReturnType<typeof makeTile>} tl
   * @param {TilePerson} p
   * @param {'person'|'screen'} kind
   */
  function fill(tl, p, kind) {
    const st = p.state || {};
    const who = p.name || shortId(p.peerId) || t('common.someone');
    const label = p.self ? t('tiles.you', { name: who }) : who;
    tl.label = kind === 'screen' ? t('tiles.screen', { name: label }) : label;
    tl.name.textContent = tl.label;
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
      const v = !!st[/** @type {keyof TileState} */ (k)];
      if (!v && !showOff) return null;
      return h('span', { class: `icon ${k} ${v ? 'on' : 'off'}`, 'data-icon': k, 'data-on': v ? 'true' : 'false', title: t(v ? onText : offText), role: 'img', 'aria-label': t(v ? onText : offText) }, icon(/** @type {string} */ (name), !v));
    }));
  }

  /**
   * render shows self (or null) and the remote people. A screen tile shows only
   * while its owner says they share: a stopped share's track may linger (frozen
   * on its last frame) until the next negotiation.
   * @param {TilePerson|null} self
   * @param {TilePerson[]} people
   */
  function render(self, people) {
    lastSelf = self;
    lastPeople = people;
    /** @type {[string, TilePerson, 'person'|'screen'][]} */
    const want = [];
    for (const p of people) {
      if (p.tracks?.screen && p.state?.screenShare) want.push([`${p.peerId}#screen`, p, 'screen']);
    }
    if (self?.tracks?.screen && self.state?.screenShare) want.push(['self#screen', self, 'screen']);
    if (self && !hideSelf) want.push(['self', self, 'person']);
    for (const p of people) want.push([p.peerId, p, 'person']);
    const keep = new Set(want.map(([k]) => k));
    for (const [k, tl] of tiles) {
      if (keep.has(k)) continue;
      tl.video.srcObject = null;
      if (tl.audio) tl.audio.srcObject = null;
      tl.el.remove();
      tiles.delete(k);
    }
    for (const [k, p, kind] of want) {
      let tl = tiles.get(k);
      if (!tl) {
        tl = makeTile(k, k === 'self' || k === 'self#screen' ? 'self' : p.peerId, kind);
        tiles.set(k, tl);
      }
      fill(tl, p, kind);
    }
    order = want.map(([k]) => k);
    if (pinned && !keep.has(pinned)) pinned = '';
    empty.hidden = people.length > 0;
    showSelf.hidden = !self || !hideSelf;
    area.dataset.count = String(want.length);
    layout();
  }

  // featured: the tile on the stage, '' for the grid.
  function featured() {
    if (pinned && tiles.has(pinned)) return pinned;
    if (gridOnly) return '';
    return order.find((k) => k.endsWith('#screen')) || '';
  }

  // layout places the tiles: on the stage and in the strip, or in the grid's current page.
  function layout() {
    const star = featured();
    area.dataset.layout = star ? 'stage' : 'grid';
    let prevEl = null;
    if (star) {
      const tl = tiles.get(star);
      if (tl && tl.el.parentNode !== main) main.replaceChildren(tl.el);
      for (const k of order) {
        if (k === star) continue;
        const el = /** @type {HTMLElement} */ (tiles.get(k)?.el);
        el.hidden = false;
        const want = prevEl ? prevEl.nextSibling : strip.firstChild;
        if (want !== el) strip.insertBefore(el, want);
        prevEl = el;
      }
      strip.style.gridTemplateColumns = '';
      pager.hidden = true;
    } else {
      main.replaceChildren();
      const pg = pageOf(order.length, page);
      page = pg.page;
      order.forEach((k, i) => {
        const el = /** @type {HTMLElement} */ (tiles.get(k)?.el);
        el.hidden = i < pg.from || i >= pg.to;
        const want = prevEl ? prevEl.nextSibling : strip.firstChild;
        if (want !== el) strip.insertBefore(el, want);
        prevEl = el;
      });
      pager.hidden = pg.pages < 2;
      pageText.textContent = t('tiles.page', { n: pg.page + 1, of: pg.pages });
      prev.disabled = pg.page === 0;
      next.disabled = pg.page >= pg.pages - 1;
      fit(pg.to - pg.from);
    }
    for (const tl of tiles.values()) {
      const on = tl.key === pinned;
      tl.el.classList.toggle('pinned', on);
      tl.pin.setAttribute('aria-pressed', String(on));
      tl.pin.title = t(on ? 'tiles.unpin' : 'tiles.pin');
      tl.pin.setAttribute('aria-label', t(on ? 'tiles.unpinWho' : 'tiles.pinWho', { name: tl.label }));
    }
    onLayout({ layout: area.dataset.layout, pinned, hideSelf });
  }

  // fit sizes the grid's columns so n tiles fill the area as large as they can be.
  /** @param {number} n */
  function fit(n) {
    const w = area.clientWidth, hgt = area.clientHeight;
    if (!w || !hgt) return;
    const g = bestGrid(Math.max(1, n), w, hgt);
    strip.style.gridTemplateColumns = `repeat(${g.cols}, ${g.w}px)`;
    strip.style.gridAutoRows = `${g.h}px`;
    area.dataset.cols = String(g.cols);
  }
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => { if (area.dataset.layout === 'grid') fit(strip.querySelectorAll('.tile:not([hidden])').length); }).observe(area);

  /** @param {number} d */
  function turn(d) {
    page += d;
    layout();
  }

  /** @param {string} key */
  function togglePin(key) {
    pin(pinned === key ? '' : key);
  }

  /** pin puts the tile with key on the stage ('' unpins). @param {string} key */
  function pin(key) {
    pinned = key && tiles.has(key) ? key : '';
    if (pinned) gridOnly = false;
    layout();
  }

  /**
   * pinNumber pins by number key: 0 is yourself, 1–9 the others in the order shown.
   * @param {number} n
   */
  function pinNumber(n) {
    const others = order.filter((k) => k !== 'self');
    const key = n === 0 ? 'self' : others[n - 1];
    if (key && tiles.has(key)) togglePin(key);
  }

  // toggleGrid (W): the plain grid, or back to the stage for a share.
  function toggleGrid() {
    if (featured()) { pinned = ''; gridOnly = true; } else gridOnly = false;
    layout();
  }

  /** @param {boolean} on */
  function setHideSelf(on) {
    hideSelf = on;
    if (on && pinned === 'self') pinned = '';
    render(lastSelf, lastPeople);
    if (!on) tiles.get('self')?.pin.focus();
    else showSelf.focus();
  }

  /**
   * setQuality shows a remote person's connection quality on their tile.
   * @param {string} peer
   * @param {Quality} q
   */
  function setQuality(peer, q) {
    const tl = tiles.get(peer);
    if (!tl?.quality) return;
    tl.quality.dataset.quality = q.level;
    const name = t(`quality.${q.level}`);
    tl.quality.title = name;
    tl.quality.setAttribute('aria-label', t('quality.label', { name: tl.label, level: name }));
    tl.qdetail.textContent = q.text;
  }

  /**
   * react shows emoji on peer's tile for a few seconds ('self' for ours).
   * @param {string} peer
   * @param {string} emoji
   */
  function react(peer, emoji) {
    const tl = tiles.get(peer);
    if (!tl) return;
    tl.reaction.textContent = emoji;
    tl.reaction.hidden = false;
    clearTimeout(tl.reactionTimer);
    tl.reactionTimer = window.setTimeout(() => { tl.reaction.hidden = true; }, REACTION_MS);
  }

  /** setSink plays everyone through the speaker deviceId ('' = the default). @param {string} id */
  function setSink(id) {
    sinkId = id || '';
    for (const tl of tiles.values()) if (tl.audio?.setSinkId) tl.audio.setSinkId(sinkId).catch(() => {});
  }

  return {
    el, render, unlock, setSink, pin, pinNumber, toggleGrid, setHideSelf, setQuality, react,
    get pinned() { return pinned; },
    get hideSelf() { return hideSelf; },
  };
}
