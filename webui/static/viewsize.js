// View sizes: the size at which the page shows each video tile, in device
// pixels, for the node to send every camera at the simulcast layer that fits
// (media/PROTOCOL.md, "view"), and which tile is pinned (`.pinned`: its camera
// passes last-N for this page). Watches every `.tile[data-peer][data-source]`
// under root: tiles that come and go, resize, or are (un)pinned.

const DEBOUNCE_MS = 250;
const SELECTOR = '.tile[data-peer][data-source]';

// watchViewSizes calls send(tiles) with [{peer, source, w, h, pinned?}]
// (debounced, only on change); it returns {stop(), last()} (last: the tiles
// last sent, or null).
export function watchViewSizes(root, send) {
  let timer = null;
  let lastJSON = '';
  let lastTiles = null;
  const watched = new Set();
  const flush = () => {
    timer = null;
    const dpr = window.devicePixelRatio || 1;
    const tiles = [];
    for (const el of root.querySelectorAll(SELECTOR)) {
      const r = el.getBoundingClientRect();
      const tile = { peer: el.dataset.peer, source: el.dataset.source, w: Math.round(r.width * dpr), h: Math.round(r.height * dpr) };
      if (el.classList.contains('pinned')) tile.pinned = true;
      tiles.push(tile);
    }
    tiles.sort((a, b) => (a.peer + a.source < b.peer + b.source ? -1 : 1));
    const json = JSON.stringify(tiles);
    if (json === lastJSON) return;
    lastJSON = json;
    lastTiles = tiles;
    send(tiles);
  };
  const soon = () => { if (!timer) timer = setTimeout(flush, DEBOUNCE_MS); };
  const resize = new ResizeObserver(soon);
  const scan = () => {
    const now = new Set(root.querySelectorAll(SELECTOR));
    for (const el of now) if (!watched.has(el)) { watched.add(el); resize.observe(el); }
    for (const el of watched) if (!now.has(el)) { watched.delete(el); resize.unobserve(el); }
    soon();
  };
  const mutations = new MutationObserver(scan);
  mutations.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-peer', 'data-source', 'hidden', 'class'] });
  scan();
  return {
    stop() { clearTimeout(timer); resize.disconnect(); mutations.disconnect(); },
    last() { return lastTiles; },
  };
}
