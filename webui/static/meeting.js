// Meeting page /m/{id}: join from the link fragment, then participants,
// chat, media-state toggles, leave and end.
import { api, openEvents } from './api.js';
import { h, replace, fmtTime, toast } from './dom.js';
import { list, meetingOf, peerId, displayName, hostPeerId, mediaState, MEDIA_FIELDS } from './model.js';
import { createChat } from './chat.js';
import { createParticipants } from './participants.js';

const TOGGLES = {
  audio: ['Mute', 'Unmute'],
  video: ['Stop video', 'Start video'],
  screenShare: ['Stop sharing', 'Share screen'],
  handRaised: ['Lower hand', 'Raise hand'],
};

export async function renderMeeting(app, id) {
  replace(app, h('p', { class: 'muted' }, 'Joining…'));
  const hasSecret = new URLSearchParams(location.hash.slice(1)).has('k');
  let joined = null;
  try {
    if (hasSecret) joined = await api.join(location.href);
  } catch (e) {
    showProblem(app, id, e.message);
    return;
  }
  if (joined && (joined.status === 'lobby' || joined.lobby === true)) {
    replace(app, h('section', { class: 'card' }, h('h2', {}, 'Waiting in the lobby'),
      h('p', {}, 'The host has to let you in. This page will update when they do.')));
    setTimeout(() => renderMeeting(app, id), 5000);
    return;
  }
  let meeting;
  let node;
  try {
    [meeting, node] = await Promise.all([api.meeting(id).then(meetingOf), api.node().catch(() => null)]);
  } catch (e) {
    showProblem(app, id, e.status === 404 && !hasSecret
      ? 'This node does not know that meeting. Open the full join link (it ends with #k=…).'
      : e.message);
    return;
  }
  new MeetingPage(app, id, meeting, peerId(node)).start();
}

function showProblem(app, id, message) {
  const input = h('input', { type: 'url', placeholder: `${location.origin}/m/${id}#k=…`, required: true });
  replace(app, h('section', { class: 'card' },
    h('h2', {}, 'Cannot open this meeting'),
    h('p', { class: 'error' }, message),
    h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        try {
          const u = new URL(input.value.trim());
          location.assign(`${location.origin}${u.pathname}${u.hash}`);
          if (u.pathname === location.pathname) location.reload();
        } catch { toast('That is not a link.', true); }
      },
    }, h('label', {}, 'Join link', input), h('button', { type: 'submit' }, 'Join')),
    h('p', {}, h('a', { href: '/' }, '← All meetings'))));
}

class MeetingPage {
  constructor(app, id, meeting, me) {
    this.app = app;
    this.id = id;
    this.meeting = meeting;
    this.me = me;
    this.participants = [];
    this.state = { audio: false, video: false, screenShare: false, handRaised: false };
    this.people = createParticipants();
    this.chat = createChat(id, (pid) => this.nameOf(pid));
    this.header = h('section', { class: 'card wide meeting-head' });
    this.controls = h('div', { class: 'controls' });
    this.conn = h('span', { class: 'conn muted small' }, 'connecting…');
    this.refreshTimer = null;
  }

  start() {
    const chatOn = this.meeting?.settings?.enableChat !== false;
    replace(this.app, h('div', { class: 'meeting-grid' },
      this.header,
      h('section', { class: 'card wide' }, this.controls),
      this.people.el,
      chatOn ? this.chat.el : null));
    this.renderHeader();
    this.renderControls();
    this.refreshParticipants();
    if (chatOn) this.chat.load();
    this.events = openEvents(this.id, (ev) => this.onEvent(ev), (st) => this.onConn(st));
    window.addEventListener('pagehide', () => this.events.close(), { once: true });
    if (this.meeting?.status === 'ended') this.onEnded();
  }

  nameOf(pid) {
    const p = this.participants.find((x) => peerId(x) === pid);
    return p ? displayName(p) : '';
  }

  isHost() {
    const host = hostPeerId(this.meeting);
    return !host || host === this.me; // unknown: offer it, the node decides
  }

  renderHeader() {
    const mt = this.meeting || {};
    const link = mt.joinUrl ||
      (new URLSearchParams(location.hash.slice(1)).has('k') ? location.href : '');
    replace(this.header,
      h('div', { class: 'row between wrap' },
        h('div', {},
          h('h1', {}, mt.title || 'Meeting'),
          h('p', { class: 'muted small' },
            h('span', { class: `badge ${mt.status || ''}` }, mt.status || 'unknown'), ' ',
            [fmtTime(mt.scheduledTime), mt.duration ? `${mt.duration} min` : ''].filter(Boolean).join(' · '), ' ',
            this.conn)),
        h('div', { class: 'row wrap' },
          link ? h('button', { type: 'button', class: 'secondary', onclick: () => copy(link) }, 'Copy join link') : null,
          h('button', { type: 'button', class: 'secondary', onclick: () => this.leave() }, 'Leave'),
          this.isHost() && mt.status !== 'ended'
            ? h('button', { type: 'button', class: 'danger', onclick: () => this.end() }, 'End for everyone')
            : null)),
      mt.description ? h('p', {}, mt.description) : null);
  }

  renderControls() {
    const ended = this.meeting?.status === 'ended';
    replace(this.controls, MEDIA_FIELDS.map((k) => {
      const on = this.state[k];
      return h('button', {
        type: 'button', class: on ? 'toggle on' : 'toggle', 'aria-pressed': on ? 'true' : 'false',
        disabled: ended, onclick: () => this.toggle(k),
      }, on ? TOGGLES[k][0] : TOGGLES[k][1]);
    }));
  }

  async toggle(k) {
    const next = { ...this.state, [k]: !this.state[k] };
    try {
      await api.setState(this.id, next);
      this.state = next;
      this.renderControls();
      this.scheduleRefresh();
    } catch (e) {
      toast(e.message, true);
    }
  }

  async refreshParticipants() {
    try {
      this.participants = list(await api.participants(this.id), 'participants');
    } catch (e) {
      toast(`Participants: ${e.message}`, true);
      return;
    }
    const mine = this.participants.find((p) => peerId(p) === this.me);
    if (mine) {
      const st = mediaState(mine);
      for (const k of MEDIA_FIELDS) this.state[k] = st[k];
      this.renderControls();
    }
    const canModerate = this.isHost() && this.meeting?.status !== 'ended';
    this.people.render(this.participants, this.me, canModerate ? (pid, role) => this.setRole(pid, role) : null);
    this.chat.rerender();
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshParticipants(), 150);
  }

  async refreshMeeting() {
    try {
      this.meeting = meetingOf(await api.meeting(this.id));
      this.renderHeader();
    } catch { /* keep what we have */ }
  }

  async setRole(pid, role) {
    try {
      await api.setRole(this.id, pid, role);
      this.scheduleRefresh();
    } catch (e) {
      toast(e.message, true);
    }
  }

  onConn(st) {
    this.conn.textContent = st === 'open' ? '● live' : 'reconnecting…';
    this.conn.classList.toggle('live', st === 'open');
    if (st === 'open') {
      this.chat.load(); // fill any gap while disconnected
      this.scheduleRefresh();
    }
  }

  onEvent(ev) {
    switch (ev.type) {
      case 'chat-message':
        this.chat.add(ev.data);
        break;
      case 'participant-joined':
      case 'participant-left':
      case 'media-state-changed':
        this.scheduleRefresh();
        break;
      case 'meeting-updated':
        this.refreshMeeting();
        this.scheduleRefresh();
        break;
      case 'meeting-ended':
        this.onEnded();
        break;
      default:
        break; // 'signal' and future types belong to the media UI
    }
  }

  onEnded() {
    if (this.meeting) this.meeting.status = 'ended';
    this.renderHeader();
    this.renderControls();
    this.chat.disable('The meeting has ended.');
    toast('The meeting has ended.');
  }

  async leave() {
    try {
      await api.leave(this.id);
    } catch (e) {
      if (e.status !== 404 && e.status !== 409) { toast(e.message, true); return; }
    }
    this.events?.close();
    location.assign('/');
  }

  async end() {
    if (!confirm('End this meeting for everyone?')) return;
    try {
      await api.end(this.id);
      this.onEnded();
    } catch (e) {
      toast(e.message, true);
    }
  }
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Join link copied.');
  } catch {
    prompt('Copy the join link:', text);
  }
}
