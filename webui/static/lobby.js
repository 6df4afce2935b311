// Lobby panel for hosts and moderators: who waits to be let in, with Admit
// and Deny buttons each. Hidden when nobody waits. A new knock is announced:
// a short sound and a line in a live region (read out by screen readers).
import { h, replace, shortId, toast } from './dom.js';
import { api } from './api.js';
import { t, errorText } from './i18n.js';

// knockSound plays two soft knocks; false when the browser has no audio.
function knockSound() {
  try {
    const ctx = new AudioContext();
    for (const at of [0, 0.18]) {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = 520;
      g.gain.setValueAtTime(0.0001, ctx.currentTime + at);
      g.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + at + 0.01);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + at + 0.12);
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + at);
      o.stop(ctx.currentTime + at + 0.13);
    }
    setTimeout(() => ctx.close().catch(() => {}), 600);
    return true;
  } catch {
    return false; // no audio here
  }
}

/** @param {string} id */
export function createLobby(id) {
  const listEl = h('ul', { class: 'people', id: 'lobby-list' });
  const live = h('p', { class: 'sr-only', id: 'lobby-live', role: 'status', 'aria-live': 'polite' });
  const el = h('section', { class: 'card lobby-card', hidden: true }, h('h2', {}, t('lobby.waitingTitle')), listEl);
  let known = new Set();

  // decide is one of the lobby buttons: both are disabled while it runs.
  const decide = (p, cls, label, call) => h('button', {
    type: 'button', class: `small ${cls}`,
    onclick: async (e) => {
      const buttons = e.target.parentElement.querySelectorAll('button');
      buttons.forEach((b) => { b.disabled = true; });
      try { await call(id, p.peerId); } catch (err) {
        toast(errorText(err), true);
        buttons.forEach((b) => { b.disabled = false; });
      }
    },
  }, label);

  /** @param {any[]} entries */
  function render(entries) {
    const now = new Set((entries || []).map((p) => p.peerId));
    const fresh = (entries || []).filter((p) => !known.has(p.peerId));
    known = now;
    if (fresh.length) {
      live.textContent = t('lobby.knock', { name: fresh.map((p) => p.name || t('common.unnamed')).join(', ') });
      if (knockSound()) live.dataset.knocks = String(Number(live.dataset.knocks || 0) + 1);
    }
    el.hidden = !entries || entries.length === 0;
    replace(listEl, (entries || []).map((p) => h('li', { 'data-peer': p.peerId },
      h('div', { class: 'who' },
        h('strong', {}, p.name || t('common.unnamed')),
        h('span', { class: 'muted small mono', title: p.peerId }, p.fingerprint || shortId(p.peerId))),
      decide(p, 'admit', t('lobby.admit'), api.admit),
      decide(p, 'deny danger', t('lobby.deny'), api.deny))));
  }

  async function load() {
    try { render(await api.lobby(id)); } catch { /* not a member yet */ }
  }
  return { el, live, render, load };
}

// waitInLobby shows the waiting screen until the node has been admitted,
// then calls done. The node keeps knocking by itself meanwhile.
// drop() runs when the wait ends without entering (left or turned away).
export function waitInLobby(app, id, done, drop = () => {}) {
  replace(app, h('section', { class: 'card', id: 'lobby-wait' }, h('h2', {}, t('lobby.wait.title')),
    h('p', {}, t('lobby.wait.text')),
    h('p', {}, h('a', {
      href: '/',
      onclick: async (e) => {
        e.preventDefault();
        drop();
        await api.leave(id).catch(() => {});
        location.assign('/');
      },
    }, t('lobby.wait.leave')))));
  const poll = async () => {
    try {
      const m = await api.meeting(id);
      if (m && m.status === 'denied') { drop(); denied(app); return; }
      if (m && m.status !== 'waiting' && m.joined) { done(); return; }
    } catch { /* keep waiting */ }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}

function denied(app) {
  replace(app, h('section', { class: 'card', id: 'lobby-denied' }, h('h2', {}, t('lobby.denied.title')),
    h('p', {}, t('lobby.denied.text')),
    h('p', {}, h('a', { href: '/' }, t('common.backHome')))));
}
