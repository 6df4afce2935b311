// Participants panel: who is here, their role and media state, raised hands
// in the order they were raised (one order on every node: the raiser's own
// stamp, handRaisedAt, then the peer ID); for the host, role changes; for the
// host and moderators, Mute and Remove.
import { h, replace, shortId } from './dom.js';
import { peerId, displayName, mediaState, isActiveParticipant } from './model.js';
import { icon } from './icons.js';
import { t } from './i18n.js';

const ICONS = [
  ['audio', 'mic', 'state.micOn', 'state.micOff'],
  ['video', 'camera', 'state.cameraOn', 'state.cameraOff'],
  ['screenShare', 'screen', 'state.sharing', ''],
  ['handRaised', 'hand', 'state.hand', ''],
  ['speaking', 'speaker', 'state.speaking', ''],
];

/**
 * handOrder sorts the people whose hand is up by (handRaisedAt, peer ID). A
 * stamp the node does not give yet falls back to when this page first saw the hand.
 * @param {any[]} people
 * @param {(id: string) => number} [seen]
 * @returns {any[]}
 */
export function handOrder(people, seen = () => 0) {
  const at = (/** @type {any} */ p) => Number(p.handRaisedAt ?? p.media?.handRaisedAt ?? 0) || seen(peerId(p)) || 0;
  return people.filter((p) => mediaState(p).handRaised)
    .map((p) => ({ p, at: at(p), id: peerId(p) }))
    .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.p);
}

export function createParticipants() {
  const listEl = h('ul', { class: 'people' });
  const title = h('h2', { id: 'people-title' }, t('people.title'));
  const handsTitle = h('h3', { class: 'hands-title', id: 'hands-title' });
  const handsEl = h('ol', { class: 'hands', id: 'hands', 'aria-labelledby': 'hands-title' });
  const hands = h('div', { class: 'hands-box', hidden: true }, handsTitle, handsEl);
  const el = h('section', { class: 'card people-card', tabindex: '-1', 'aria-labelledby': 'people-title' }, title, hands, listEl);
  let handCount = 0;

  // actions: {onRole (host only), onMute, onRemove, myRole}; absent once the meeting ended.
  // all: everyone who came, without media state (an ended meeting's record).
  /**
   * @param {any[]} participants
   * @param {string} me
   * @param {any} [actions]
   * @param {{all?: boolean, seen?: (id: string) => number}} [opts]
   */
  function render(participants, me, actions = {}, { all = false, seen } = {}) {
    const active = all ? participants : participants.filter(isActiveParticipant);
    title.textContent = t('people.count', { n: active.length });
    const up = all ? [] : handOrder(active, seen);
    handCount = up.length;
    hands.hidden = up.length === 0;
    handsTitle.textContent = t('people.hands', { n: up.length });
    replace(handsEl, up.map((p) => h('li', { 'data-peer': peerId(p) }, displayName(p) || t('common.unnamed'), peerId(p) === me ? ` (${t('people.you')})` : '')));
    replace(listEl, active.length === 0 ? h('li', { class: 'muted' }, t('people.none')) : active.map((p) => {
      const id = peerId(p);
      const st = mediaState(p);
      return h('li', { class: st.speaking ? 'speaking' : '', 'data-peer': id },
        h('div', { class: 'who' },
          h('strong', {}, displayName(p) || t('common.unnamed')),
          id === me ? h('span', { class: 'badge' }, t('people.you')) : null,
          h('span', { class: 'muted small mono', title: id }, shortId(id))),
        h('div', { class: 'state' },
          p.role ? h('span', { class: `badge role-${p.role}` }, t(`role.${p.role}`)) : null,
          all ? null : ICONS.map(([k, name, on, off]) => (st[k] || off)
            ? h('span', { class: st[k] ? 'on' : 'off', title: t(st[k] ? on : off), role: 'img', 'aria-label': t(st[k] ? on : off), 'data-icon': k }, icon(name, !st[k]))
            : null)),
        moderation(p, me, actions));
    }));
  }

  // moderation is the row of buttons under a participant for the host or a moderator:
  // the host mutes or removes anyone but themselves, a moderator plain participants.
  /**
   * @param {any} p
   * @param {string} me
   * @param {any} actions
   */
  function moderation(p, me, { onRole, onMute, onRemove, myRole }) {
    const id = peerId(p);
    const may = id !== me && p.role !== 'host'
      && (myRole === 'host' || (myRole === 'moderator' && p.role === 'participant'));
    const buttons = [
      onRole && id !== me && p.role !== 'host'
        ? h('button', {
          type: 'button', class: 'link small',
          onclick: () => onRole(id, p.role === 'moderator' ? 'participant' : 'moderator'),
        }, p.role === 'moderator' ? t('people.makeParticipant') : t('people.makeModerator'))
        : null,
      onMute && may && mediaState(p).audio
        ? h('button', { type: 'button', class: 'link small danger-text mute', onclick: () => onMute(id) }, t('people.mute'))
        : null,
      onRemove && may
        ? h('button', { type: 'button', class: 'link small danger-text remove', onclick: () => onRemove(id, displayName(p)) }, t('people.remove'))
        : null,
    ].filter(Boolean);
    return buttons.length ? h('div', { class: 'actions' }, buttons) : null;
  }
  return { el, render, get hands() { return handCount; } };
}
