// Layout arithmetic for the video area, without the DOM: how many columns
// fill a box best with tiles of one aspect, and which tiles a page shows.

/** Tiles per page of the grid; past this the grid pages. */
export const PAGE_SIZE = 25;

/**
 * bestGrid picks the column count whose tiles (all of aspect w/h, gap px
 * apart) come out largest inside a width × height box.
 * @param {number} n tiles
 * @param {number} width box width, px
 * @param {number} height box height, px
 * @param {number} [aspect] tile width / height
 * @param {number} [gap] px between tiles
 * @returns {{cols: number, rows: number, w: number, h: number}}
 */
export function bestGrid(n, width, height, aspect = 16 / 9, gap = 8) {
  let best = { cols: 1, rows: Math.max(1, n), w: 0, h: 0 };
  if (n < 1 || width <= 0 || height <= 0) return best;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const cw = (width - gap * (cols - 1)) / cols;
    const ch = (height - gap * (rows - 1)) / rows;
    if (cw <= 0 || ch <= 0) break;
    const w = Math.min(cw, ch * aspect);
    if (w > best.w + 0.5) best = { cols, rows, w: Math.floor(w), h: Math.floor(w / aspect) };
  }
  return best;
}

/**
 * pageOf clamps page into range for n tiles and says which slice it shows.
 * @param {number} n tiles
 * @param {number} page wanted page, from 0
 * @param {number} [size]
 * @returns {{page: number, pages: number, from: number, to: number}}
 */
export function pageOf(n, page, size = PAGE_SIZE) {
  const pages = Math.max(1, Math.ceil(n / size));
  const p = Math.min(Math.max(0, page | 0), pages - 1);
  return { page: p, pages, from: p * size, to: Math.min(n, (p + 1) * size) };
}
