// Connection quality per remote person, from getStats: packet loss and
// jitter of what arrives from them, the bit rate, and the round trip to this
// node (the one link every stream shares). Read every few seconds.
import { t } from './i18n.js';

/**
 * @typedef {{packetsReceived: number, packetsLost: number, bytes: number, jitter: number, at: number}} Sample
 * @typedef {{level: string, text: string}} Quality
 */

/**
 * grade words one interval's figures as good, fair or poor.
 * @param {number} loss fraction lost, 0..1
 * @param {number} jitterMs
 * @param {number} rttMs
 */
export function grade(loss, jitterMs, rttMs) {
  if (loss > 0.08 || jitterMs > 80 || rttMs > 500) return 'poor';
  if (loss > 0.02 || jitterMs > 30 || rttMs > 250) return 'fair';
  return 'good';
}

/**
 * createQuality keeps the last sample per peer and turns each new report into a Quality.
 */
export function createQuality() {
  /** @type {Map<string, Sample>} */
  const last = new Map();
  /**
   * update takes the page's stats ({remote: {peer: {...}}, local: {rtt}}) and
   * calls show(peer, quality) for each remote person.
   * @param {{remote: Record<string, any>, local: Record<string, any>}} s
   * @param {(peer: string, q: Quality) => void} show
   */
  function update(s, show) {
    const now = Date.now();
    const rtt = Math.round((s.local.rtt || 0) * 1000);
    for (const [peer, r] of Object.entries(s.remote)) {
      /** @type {Sample} */
      const cur = { packetsReceived: r.packetsReceived || 0, packetsLost: r.packetsLost || 0, bytes: r.bytesReceived || 0, jitter: r.jitter || 0, at: now };
      const prev = last.get(peer);
      last.set(peer, cur);
      if (!prev || cur.packetsReceived + cur.packetsLost < prev.packetsReceived + prev.packetsLost) continue;
      const got = cur.packetsReceived - prev.packetsReceived, lost = Math.max(0, cur.packetsLost - prev.packetsLost);
      if (got + lost === 0) { show(peer, { level: 'unknown', text: t('quality.nothing') }); continue; }
      const loss = lost / (got + lost);
      const jitterMs = Math.round(cur.jitter * 1000);
      const kbps = Math.round(((cur.bytes - prev.bytes) * 8) / Math.max(1, cur.at - prev.at));
      show(peer, {
        level: grade(loss, jitterMs, rtt),
        text: t('quality.detail', { loss: (loss * 100).toFixed(1), jitter: jitterMs, rtt, kbps }),
      });
    }
  }
  return { update };
}
