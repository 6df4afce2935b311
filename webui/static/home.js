// Home page: this node (its name, which the person can change, and whether
// it reaches other nodes and its rendezvous servers), the meetings grouped as
// active, upcoming and past, and the create and join forms. A past meeting's
// link opens its record (meeting.js), never a live room.
import { api, calendarURL } from './api.js';
import { h, replace, fmtTime, toast, shortId } from './dom.js';
import { list, meetingOf, meetingId } from './model.js';
import { t, errorText } from './i18n.js';

/**
 * The node as GET /api/node answers (webui/api.Node).
 * @typedef {{peerId: string, connected: boolean}} Rendezvous
 * @typedef {{peerId: string, name: string, addresses: string[], peers: string[],
 *   rendezvous?: Rendezvous[], version?: string, ui?: string}} NodeInfo
 */

/**
 * A meeting as GET /api/meetings lists it (webui/api.Meeting), the fields this page reads.
 * @typedef {{id: string, title?: string, status?: string, scheduledTime?: string, duration?: number,
 *   createdAt?: string, endedAt?: string, joined?: boolean}} Meeting
 */

/** The longest display name the node accepts (mesh/eventlog.MaxName). */
const MAX_NAME = 64;

/** How often the status and the meetings are asked again. */
const REFRESH_MS = 15000;

/**
 * renderHome fills app with the Home page.
 * @param {HTMLElement} app
 */
export function renderHome(app) {
  const nameBox = h('section', { class: 'card', id: 'home-name' }, h('h2', {}, t('home.you')), h('p', { class: 'muted' }, t('common.loading')));
  const statusBox = h('section', { class: 'card', id: 'node-status' }, h('h2', {}, t('home.node')), h('p', { class: 'muted' }, t('common.loading')));
  const meetingsBox = h('section', { class: 'card wide', id: 'home-meetings' });
  replace(app, h('div', { class: 'grid' }, nameBox, statusBox, joinForm(), createForm(), meetingsBox));
  loadNode(nameBox, statusBox, true);
  loadMeetings(meetingsBox);
  const timer = setInterval(() => {
    if (document.hidden) return;
    loadNode(nameBox, statusBox, false);
    loadMeetings(meetingsBox);
  }, REFRESH_MS);
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true });
}

/**
 * statusText words a meeting's status.
 * @param {string | undefined} status
 * @returns {string}
 */
export function statusText(status) {
  return ['active', 'scheduled', 'ended', 'waiting', 'denied'].includes(status || '') ? t(`status.${status}`) : t('status.unknown');
}

/**
 * loadNode asks the node and shows it; the name form is built only the
 * first time, so a refresh never overwrites what the person is typing.
 * @param {HTMLElement} nameBox
 * @param {HTMLElement} statusBox
 * @param {boolean} first
 */
async function loadNode(nameBox, statusBox, first) {
  /** @type {NodeInfo} */
  let n;
  try {
    n = await api.node();
  } catch (e) {
    replace(statusBox, h('h2', {}, t('home.node')), h('p', { class: 'error' }, errorText(e)));
    if (first) replace(nameBox, h('h2', {}, t('home.you')), h('p', { class: 'error' }, errorText(e)));
    return;
  }
  if (first) replace(nameBox, ...nameForm(n));
  renderStatus(statusBox, n);
}

/**
 * nameForm lets the person change the name others see; the node keeps it.
 * @param {NodeInfo} n
 * @returns {HTMLElement[]}
 */
function nameForm(n) {
  const input = /** @type {HTMLInputElement} */ (h('input', {
    id: 'name-input', name: 'name', required: true, maxlength: String(MAX_NAME), autocomplete: 'nickname', value: n.name || '',
  }));
  const save = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', id: 'name-save' }, t('common.save')));
  const note = h('p', { class: 'muted small', id: 'name-note', 'aria-live': 'polite' }, t('home.nameHint'));
  /** @param {SubmitEvent} e */
  async function onsubmit(e) {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    save.disabled = true;
    try {
      const got = /** @type {NodeInfo} */ (await api.setName(name));
      input.value = got.name;
      note.textContent = t('home.nameSaved', { name: got.name });
      const badge = document.getElementById('node-badge');
      if (badge) badge.textContent = `${got.name} · ${shortId(got.peerId)}`;
    } catch (err) {
      note.textContent = errorText(err);
      toast(errorText(err), true);
    } finally {
      save.disabled = false;
    }
  }
  return [
    h('h2', {}, t('home.you')),
    h('form', { onsubmit, id: 'name-form' },
      h('label', {}, t('home.displayName'), input), save),
    note,
    h('dl', { class: 'facts' },
      h('dt', {}, t('home.peerId')), h('dd', { class: 'mono', id: 'peer-id' }, n.peerId || '—')),
  ];
}

/**
 * rendezvousState: 'reachable' while the node is connected to one of its
 * rendezvous servers, 'unreachable' while to none, 'none' without any.
 * @param {NodeInfo} n
 * @returns {'reachable' | 'unreachable' | 'none'}
 */
export function rendezvousState(n) {
  const rs = n.rendezvous || [];
  if (rs.length === 0) return 'none';
  return rs.some((r) => r.connected) ? 'reachable' : 'unreachable';
}

/**
 * renderStatus shows whom the node reaches.
 * @param {HTMLElement} box
 * @param {NodeInfo} n
 */
function renderStatus(box, n) {
  // Other nodes: the rendezvous servers are connections too, but not peers.
  const servers = new Set((n.rendezvous || []).map((r) => r.peerId));
  const peers = (Array.isArray(n.peers) ? n.peers : []).filter((p) => !servers.has(p)).length;
  const rdv = rendezvousState(n);
  const addrs = Array.isArray(n.addresses) ? n.addresses : [];
  replace(box, h('h2', {}, t('home.node')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('home.peers')),
      h('dd', { id: 'peers-count', 'data-count': String(peers) }, peers === 0 ? t('home.peersNone') : t('home.peersN', { n: peers })),
      h('dt', {}, t('home.rendezvous')),
      h('dd', { id: 'rendezvous-state', 'data-state': rdv, class: rdv === 'unreachable' ? 'error' : '' }, t(`home.rendezvous.${rdv}`)),
      h('dt', {}, t('home.version')), h('dd', {}, n.version || '—'),
      h('dt', {}, t('home.addresses')),
      h('dd', {}, addrs.length
        ? h('details', {}, h('summary', { class: 'small' }, t('home.addressesN', { n: addrs.length })),
          h('ul', { class: 'plain mono small' }, addrs.map((a) => h('li', {}, String(a)))))
        : '—')));
}

/**
 * group sorts meetings into active, upcoming (by start) and past (latest first).
 * @param {Meeting[]} meetings
 * @returns {{active: Meeting[], upcoming: Meeting[], past: Meeting[]}}
 */
export function group(meetings) {
  /** @param {Meeting} m @param {keyof Meeting} k */
  const at = (m, k) => Date.parse(String(m[k] ?? '')) || 0;
  const active = meetings.filter((m) => m.status === 'active');
  const past = meetings.filter((m) => m.status === 'ended');
  const upcoming = meetings.filter((m) => m.status !== 'active' && m.status !== 'ended');
  active.sort((a, b) => at(b, 'createdAt') - at(a, 'createdAt'));
  upcoming.sort((a, b) => (at(a, 'scheduledTime') || at(a, 'createdAt')) - (at(b, 'scheduledTime') || at(b, 'createdAt')));
  past.sort((a, b) => (at(b, 'endedAt') || at(b, 'createdAt')) - (at(a, 'endedAt') || at(a, 'createdAt')));
  return { active, upcoming, past };
}

/**
 * loadMeetings shows the meetings this node knows, in three groups.
 * @param {HTMLElement} box
 */
async function loadMeetings(box) {
  /** @type {Meeting[]} */
  let meetings;
  try {
    meetings = list(await api.meetings(), 'meetings').map(meetingOf);
  } catch (e) {
    replace(box, h('h2', {}, t('home.meetings')), h('p', { class: 'error' }, errorText(e)));
    return;
  }
  const g = group(meetings);
  /** @param {'active' | 'upcoming' | 'past'} key */
  const section = (key) => h('section', { class: 'meeting-group', id: `meetings-${key}` },
    h('h3', {}, t(`home.group.${key}`, { n: g[key].length })),
    g[key].length === 0
      ? h('p', { class: 'muted small' }, t(`home.group.${key}.none`))
      : h('ul', { class: 'meetings' }, g[key].map((mt) => meetingItem(mt, key))));
  replace(box,
    h('div', { class: 'row between' }, h('h2', {}, t('home.meetings')),
      h('button', { type: 'button', class: 'secondary', onclick: () => loadMeetings(box) }, t('home.refresh'))),
    meetings.length === 0 ? h('p', { class: 'muted', id: 'meetings-none' }, t('home.none'))
      : [section('active'), section('upcoming'), section('past')]);
}

/**
 * meetingItem is one meeting in its group; a past one links to its record.
 * @param {Meeting} mt
 * @param {'active' | 'upcoming' | 'past'} key
 * @returns {HTMLElement}
 */
function meetingItem(mt, key) {
  const id = meetingId(mt);
  const when = key === 'past'
    ? (mt.endedAt ? t('home.endedAt', { when: fmtTime(mt.endedAt) }) : '')
    : [fmtTime(mt.scheduledTime), mt.duration ? t('common.minutes', { n: mt.duration }) : ''].filter(Boolean).join(' · ');
  return h('li', { 'data-id': id },
    h('a', { href: `/m/${encodeURIComponent(id)}`, class: 'meeting-link' }, mt.title || t('home.untitled')),
    h('span', { class: `badge ${mt.status || ''}` }, statusText(mt.status)),
    key === 'past' ? h('span', { class: 'small' }, t('home.openRecord')) : null,
    when ? h('span', { class: 'muted small' }, when) : null,
    key === 'past' ? null
      : h('a', { class: 'small', href: calendarURL(id), download: 'meeting.ics', 'data-ticket': true }, t('home.addCalendar')));
}

/** @returns {HTMLElement} */
function joinForm() {
  const input = /** @type {HTMLInputElement} */ (h('input', {
    type: 'url', name: 'joinUrl', id: 'join-input', required: true, placeholder: `${location.origin}/m/…#k=…`, autocomplete: 'off',
  }));
  return h('section', { class: 'card' },
    h('h2', {}, t('home.joinTitle')),
    h('form', {
      /** @param {SubmitEvent} e */
      onsubmit: (e) => {
        e.preventDefault();
        let u;
        try { u = new URL(input.value.trim()); } catch { toast(t('link.notLink'), true); return; }
        if (!/^\/m\/[^/]+$/.test(u.pathname) || !u.hash) { toast(t('link.shape'), true); return; }
        // Open it on this node: the same link works on every employee's node.
        location.assign(`${location.origin}${u.pathname}${u.hash}`);
      },
    }, h('label', {}, t('home.joinLink'), input), h('button', { type: 'submit' }, t('home.join'))));
}

/** @returns {HTMLElement} */
function createForm() {
  /** @param {string} tag @param {Record<string, any>} props */
  const field = (tag, props) => /** @type {HTMLInputElement} */ (h(tag, props));
  const f = {
    title: field('input', { name: 'title', required: true, maxlength: '200' }),
    description: field('textarea', { name: 'description', rows: '2', maxlength: '2000' }),
    scheduledTime: field('input', { name: 'scheduledTime', type: 'datetime-local' }),
    duration: field('input', { name: 'duration', type: 'number', min: '1', max: '1440', value: '60' }),
    maxParticipants: field('input', { name: 'maxParticipants', type: 'number', min: '2', max: '1000', value: '50' }),
    requireApproval: field('input', { name: 'requireApproval', type: 'checkbox' }),
    enableRecording: field('input', { name: 'enableRecording', type: 'checkbox' }),
    enableChat: field('input', { name: 'enableChat', type: 'checkbox', checked: true }),
    autoEnd: field('input', { name: 'autoEnd', type: 'checkbox' }),
  };
  const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, t('home.create')));
  /** @param {SubmitEvent} e */
  async function onsubmit(e) {
    e.preventDefault();
    /** @type {Record<string, any>} */
    const body = {
      title: f.title.value.trim(),
      description: f.description.value.trim(),
      duration: Number(f.duration.value) || 60,
      settings: {
        maxParticipants: Number(f.maxParticipants.value) || 50,
        requireApproval: f.requireApproval.checked,
        enableRecording: f.enableRecording.checked,
        enableChat: f.enableChat.checked,
        autoEnd: f.autoEnd.checked,
      },
    };
    if (f.scheduledTime.value) body.scheduledTime = new Date(f.scheduledTime.value).toISOString();
    submit.disabled = true;
    try {
      const res = await api.create(body);
      const link = res?.joinUrl;
      const id = meetingId(meetingOf(res));
      if (link) {
        const u = new URL(link);
        location.assign(`${location.origin}${u.pathname}${u.hash}`);
      } else if (id) {
        location.assign(`/m/${encodeURIComponent(id)}`);
      }
    } catch (err) {
      toast(errorText(err), true);
    } finally {
      submit.disabled = false;
    }
  }
  /** @param {HTMLElement} el @param {string} text */
  const check = (el, text) => h('label', { class: 'check' }, el, text);
  return h('section', { class: 'card' },
    h('h2', {}, t('home.newTitle')),
    h('form', { onsubmit },
      h('label', {}, t('meeting.field.title'), f.title),
      h('label', {}, t('meeting.field.description'), f.description),
      h('div', { class: 'row' },
        h('label', {}, t('meeting.field.starts'), f.scheduledTime),
        h('label', {}, t('meeting.field.minutes'), f.duration)),
      h('fieldset', {}, h('legend', {}, t('home.settings')),
        h('label', {}, t('home.maxParticipants'), f.maxParticipants),
        check(f.requireApproval, t('home.requireApproval')),
        check(f.enableRecording, t('home.allowRecording')),
        check(f.enableChat, t('home.chat')),
        check(f.autoEnd, t('home.autoEnd'))),
      submit));
}
