// The meeting page once joined: header, video grid, controls, participants
// and chat, fed by the events WebSocket (which also carries media signalling).
import { api, calendarURL, openEvents } from './api.js';
import { recordMenu } from './record.js';
import { h, replace, fmtTime, toast } from './dom.js';
import { list, meetingOf, peerId, displayName, hostPeerId, mediaState, isActiveParticipant } from './model.js';
import { createChat } from './chat.js';
import { createParticipants } from './participants.js';
import { createTiles } from './tiles.js';
import { createControls } from './controls.js';
import { MediaSession, canvasTrack } from './media.js';
import { Publisher } from './publisher.js';
import { createLobby } from './lobby.js';
import { createRecordings } from './recordings.js';
import { createActivity } from './activity.js';
import { editForm } from './editmeeting.js';
import { createDeviceDialog } from './devicedialog.js';
import { statusText } from './home.js';
import { t, lang, errorText } from './i18n.js';
import { loadPrefs, savePrefs } from './devices.js';
import { confirmDialog, textDialog } from './dialog.js';
import { installShortcuts, helpDialog } from './shortcuts.js';
import { createMutedHint } from './mutedhint.js';
import { createQuality } from './quality.js';
import { createPanels } from './panels.js';

const QUALITY_EVERY_MS = 2000;

export class MeetingPage {
  constructor(app, id, meeting, node) {
    this.app = app;
    this.id = id;
    this.meeting = meeting;
    this.me = peerId(node);
    this.myName = node?.name || '';
    this.participants = [];
    this.gone = new Map(); // peer seen leaving -> when, until they join again
    this.remote = {}; // peerId -> {mic, camera, screen} tracks from the node
    this.people = createParticipants();
    this.lobby = createLobby(id);
    this.chat = createChat(id, (pid) => this.nameOf(pid), {
      // in the room the side's chat panel folds; in an ended meeting's record, the chat itself
      onToggle: (open) => (this.panels ? this.panels.set('chat', open) : this.chat.setOpen(open)),
      onUnread: () => this.panels?.render(),
    });
    this.handSeen = new Map(); // peer -> when this page first saw their hand up (until the node stamps it)
    this.recordings = createRecordings(id, (pid) => this.nameOf(pid));
    this.activity = createActivity(id, (pid) => this.nameOf(pid));
    this.tiles = createTiles({ onLayout: (l) => this.controls?.setGrid(l.layout === 'grid') });
    this.controls = createControls({
      onToggle: (k) => this.toggle(k),
      onDevices: () => this.devices.open(),
      onLeave: () => this.leave(),
      onEnd: () => this.end(),
      onPanel: (p) => this.panels?.toggle(/** @type {'chat'|'people'} */ (p)),
      onReact: (e) => this.react(e),
      onInvite: () => this.invite(),
      onHelp: () => this.help.open(),
      onGrid: () => this.tiles.toggleGrid(),
    });
    /** @type {ReturnType<typeof createPanels>|null} */
    this.panels = null; // the side, once in the room
    this.quality = createQuality();
    // what screen readers hear of the room besides the chat: reactions
    this.live = h('p', { class: 'sr-only', id: 'room-live', role: 'status', 'aria-live': 'polite' });
    this.header = h('section', { class: 'card meeting-head' });
    this.conn = h('span', { class: 'conn muted small', id: 'conn' }, t('conn.connecting'));
    this.mediaConn = h('span', { class: 'conn muted small', id: 'media-conn' }, '');
    this.timeLeft = h('span', { class: 'badge time-left', id: 'time-left', hidden: true });
    this.refreshTimer = null;
    /** @type {HTMLElement|null} */
    this.recordEl = null;
    /** @type {HTMLElement|null} */
    this.editEl = null;
    this.renderTimer = null;
    this.media = new MediaSession(id, {
      send: (m) => this.events?.send({ type: 'signal', data: m }),
      onRemote: (peers) => { this.remote = peers; this.renderTiles(); },
      onStatus: (st) => this.onMediaStatus(st),
      onLinks: (links, relay) => this.onLinks(links, relay),
      log: (m) => console.warn('meshmeet media:', m),
    });
    this.pub = new Publisher(id, this.media, () => { this.renderLocal(); this.renderPeopleSoon(); });
    this.devices = createDeviceDialog({
      mic: () => this.pub.mic,
      onPick: (kind, deviceId) => (kind === 'speaker' ? this.tiles.setSink(deviceId) : this.pub.switchDevice(kind, deviceId)),
    });
    this.tiles.setSink(loadPrefs().speaker);
    this.help = helpDialog();
    this.mutedHint = createMutedHint(() => this.pub.mic, () => !this.pub.state.audio && !this.ended);
  }

  // record shows an ended meeting as what it left behind: its chat and
  // files, activity and recordings; no devices, no live connection.
  record() {
    const chatOn = this.meeting?.settings?.enableChat !== false;
    this.ended = true;
    replace(this.app, h('div', { class: 'meeting record', id: 'meeting-record' },
      this.header,
      h('div', { class: 'meeting-main' },
        h('div', { class: 'stage-col' },
          h('section', { class: 'card' }, h('h2', {}, t('record.title')), h('p', { class: 'muted' }, t('record.text'))),
          chatOn ? this.chat.el : null),
        h('aside', { class: 'side' }, this.people.el, this.recordings.el, this.activity.el))));
    this.app.classList.add('wide-app');
    this.activity.el.open = true;
    this.conn.hidden = true;
    this.chat.readOnly();
    this.renderHeader();
    this.participants = list(this.meeting?.participants, 'participants');
    this.people.render(this.participants, this.me, {}, { all: true });
    this.recordings.load();
    this.activity.load();
    if (chatOn) this.chat.load();
  }

  start(localP) {
    const chatOn = this.meeting?.settings?.enableChat !== false;
    this.panels = createPanels({
      chat: chatOn ? this.chat : null,
      people: [this.people.el, this.recordings.el, this.activity.el],
      hands: () => this.people.hands,
      onChange: (open, counts) => this.controls.setPanels(open, counts),
    });
    this.main = h('div', { class: 'meeting-main' },
      h('div', { class: 'stage-col' }, this.lobby.el, this.tiles.el, this.mutedHint.el),
      this.panels.side);
    replace(this.app, h('div', { class: 'meeting live' }, this.header, this.main, this.controls.el, this.lobby.live, this.live));
    this.app.classList.add('wide-app', 'room-app');
    document.body.classList.add('in-room');
    this.panels.attach(this.main);
    this.keys = installShortcuts({
      toggle: (k) => { if (!this.ended) this.toggle(k); },
      panel: (p) => this.panels?.toggle(/** @type {'chat'|'people'} */ (p), true),
      grid: () => this.tiles.toggleGrid(),
      pin: (n) => this.tiles.pinNumber(n),
      unpin: () => { if (!this.tiles.pinned) return false; this.tiles.pin(''); return true; },
      help: () => this.help.open(),
      talk: (down) => this.talk(down),
    });
    this.qualityTimer = setInterval(() => this.pollQuality(), QUALITY_EVERY_MS);
    this.renderHeader();
    this.renderLocal();
    this.refreshParticipants();
    this.lobby.load();
    this.recordings.load();
    if (chatOn) this.chat.load();
    const ended = this.meeting?.status === 'ended';
    if (!ended) {
      this.events = openEvents(this.id, (ev) => this.onEvent(ev), (st) => this.onConn(st));
      this.pub.start(localP).then(() => {
        // a reload keeps a raised hand (the microphone and camera come back through the pre-join step)
        if (sessionStorage.getItem(this.handKey()) && !this.pub.state.handRaised) this.pub.set('handRaised', true);
      });
    } else {
      localP.then(({ audio, video }) => { audio?.stop(); video?.stop(); });
      this.onEnded();
    }
    window.addEventListener('pagehide', () => this.shutdown(), { once: true });
    this.installHook();
    this.tick();
    this.clock = setInterval(() => this.tick(), 1000);
  }

  // installHook exposes a small API for automated tests.
  installHook() {
    window.meshmeet = {
      me: this.me,
      meetingId: this.id,
      stats: async () => {
        const s = await this.media.stats();
        s.local.state = { ...this.pub.state };
        return s;
      },
      state: () => ({ ...this.pub.state }),
      remotePeers: () => Object.keys(this.remote),
      tiles: () => [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('#tiles .tile'))].map((t) => ({ peer: t.dataset.peer, source: t.dataset.source, video: t.dataset.video, audio: t.dataset.audio, hand: t.dataset.hand, screen: t.dataset.screen, reconnecting: /** @type {HTMLElement|null} */ (t.querySelector('.tile-status'))?.hidden === false })),
      // layout: where the tiles are: the stage's tile, the strip's or grid's in order, the grid's columns.
      layout: () => {
        const key = (/** @type {Element} */ e) => `${e.getAttribute('data-peer')}/${e.getAttribute('data-source')}`;
        const area = document.getElementById('tiles');
        return {
          layout: area?.dataset.layout || '', cols: Number(area?.dataset.cols || 0),
          stage: [...document.querySelectorAll('#stage-main .tile')].map(key),
          strip: [...document.querySelectorAll('#strip .tile:not([hidden])')].map(key),
          pinned: this.tiles.pinned,
        };
      },
      // view: the tiles last sent to the node ("view": sizes and the pinned tile), or null.
      view: () => this.media.view?.last() || null,
      chatAdd: (/** @type {any[]} */ msgs) => this.chat.add(...msgs),
      toggle: (k) => this.pub.toggle(k),
      shareCanvas: () => this.pub.publishScreen(canvasTrack(this.myName || 'screen')),
      stopShare: () => this.pub.stopScreen(),
      devices: () => ({ mic: this.pub.mic?.getSettings().deviceId || '', camera: this.pub.camera?.getSettings().deviceId || '' }),
    };
  }

  shutdown() {
    clearInterval(this.clock);
    clearInterval(this.qualityTimer);
    this.mutedHint.stop();
    this.keys?.();
    this.pub.stop();
    this.media.close();
    this.events?.close();
  }

  nameOf(pid) {
    const p = this.participants.find((x) => peerId(x) === pid);
    return p ? displayName(p) : '';
  }

  // isHost: from the meeting record, else from the live roles; unknown is no.
  isHost() {
    const host = hostPeerId(this.meeting) || peerId(this.participants.find((p) => p.role === 'host'));
    return !!host && host === this.me;
  }

  // link is the meeting's join link, '' when this page does not know it.
  link() {
    return this.meeting?.joinUrl || (/[#&](k|l)=/.test(location.hash) ? location.href : '');
  }

  invite() {
    const link = this.link();
    if (link) copy(link);
    else toast(t('meeting.noLink'), true);
  }

  renderHeader() {
    const mt = this.meeting || {};
    replace(this.header,
      h('div', { class: 'row between wrap' },
        h('div', { class: 'head-title' },
          h('h1', {}, mt.title || t('meeting.untitled')),
          h('p', { class: 'muted small' },
            h('span', { class: `badge ${mt.status || ''}`, id: 'status-badge' }, statusText(mt.status)), ' ',
            mt.recording ? h('span', { class: 'badge rec', id: 'recording-badge', title: t('meeting.recordingTitle') }, t('meeting.recording')) : null,
            mt.recording ? ' ' : null,
            this.timeLeft, ' ',
            [fmtTime(mt.scheduledTime), mt.duration ? t('common.minutes', { n: mt.duration }) : ''].filter(Boolean).join(' · '), ' ',
            this.conn, ' ', this.mediaConn)),
        h('div', { class: 'row wrap' },
          this.isHost() && mt.status !== 'ended' && !this.editEl ? h('button', {
            type: 'button', class: 'secondary', id: 'btn-edit', onclick: () => this.edit(),
          }, t('meeting.edit')) : null,
          this.canExtend() ? h('button', {
            type: 'button', class: 'secondary', id: 'btn-extend', title: t('meeting.extendTitle'),
            onclick: () => this.extend(15),
          }, t('meeting.extend')) : null,
          this.isHost() && mt.status !== 'ended' ? h('button', {
            type: 'button', class: 'secondary', id: 'btn-rekey', title: t('meeting.rekeyTitle'),
            onclick: () => this.rekey(),
          }, t('meeting.rekey')) : null,
          this.canRecord() ? h('button', {
            type: 'button', class: 'secondary', id: 'btn-record',
            onclick: () => this.setRecording(!mt.recording),
          }, mt.recording ? t('meeting.recordStop') : t('meeting.record')) : null,
          h('a', { class: 'small', id: 'calendar-link', href: calendarURL(this.id), download: 'meeting.ics', 'data-ticket': true }, t('meeting.calendar')),
          (this.recordEl ??= recordMenu(this.id)))), // kept across re-renders, so it stays open
      mt.description ? h('p', { class: 'desc' }, mt.description) : null,
      this.editEl); // kept across re-renders, so typing is never lost
  }

  // edit opens the host's edit form under the header.
  edit() {
    this.editEl = editForm(this.meeting || {}, (updated) => {
      this.editEl = null;
      if (updated) this.meeting = { ...this.meeting, ...updated };
      this.renderHeader();
    });
    this.renderHeader();
  }

  renderLocal() {
    this.controls.render(this.pub.state, {
      ended: this.meeting?.status === 'ended',
      host: this.isHost(),
      unavailable: this.pub.unavailable,
    });
    this.renderTiles();
  }

  // renderTiles: everyone present or sending, except those seen leaving.
  renderTiles() {
    const byId = new Map();
    for (const p of this.participants) {
      const id = peerId(p);
      if (!id || id === this.me || !isActiveParticipant(p) || this.gone.has(id)) continue;
      byId.set(id, { peerId: id, name: displayName(p), fingerprint: p.fingerprint || '', online: p.online, state: mediaState(p), tracks: {} });
    }
    for (const [id, tracks] of Object.entries(this.remote)) {
      if (id === this.me || this.gone.has(id)) continue;
      if (!byId.has(id)) byId.set(id, { peerId: id, name: '', fingerprint: '', state: { audio: !!tracks.mic, video: !!tracks.camera, screenShare: !!tracks.screen }, tracks: {} });
      byId.get(id).tracks = tracks;
    }
    for (const p of byId.values()) p.reconnecting = !!this.allReconnecting || !!this.reconnecting?.has(p.peerId);
    const mine = this.participants.find((p) => peerId(p) === this.me);
    const self = this.meeting?.status === 'ended' ? null : {
      peerId: this.me,
      self: true,
      name: this.myName,
      fingerprint: mine?.fingerprint || '',
      state: { ...this.pub.state, speaking: mediaState(mine).speaking },
      tracks: { camera: this.pub.camera, screen: this.pub.screen },
    };
    this.tiles.render(self, [...byId.values()]);
  }

  async refreshParticipants() {
    try {
      this.participants = list(await api.participants(this.id), 'participants');
    } catch (e) {
      if (e.status !== 404) toast(t('common.prefixed', { what: t('people.title'), msg: errorText(e) }), true);
      return;
    }
    for (const p of this.participants) { // joined again since we saw them go
      const at = this.gone.get(peerId(p));
      if (at && isActiveParticipant(p) && Date.parse(p.joinedAt) > at) this.gone.delete(peerId(p));
    }
    if (!hostPeerId(this.meeting)) this.refreshMeeting(); // the record may have synced since
    this.renderHeader(); // the Record button follows this node's role
    this.renderPeople();
    this.renderLocal();
  }

  renderPeople() {
    const open = this.meeting?.status !== 'ended';
    const myRole = this.participants.find((p) => peerId(p) === this.me)?.role;
    // Our own media state is what this page publishes, whatever presence says.
    const shown = this.participants.filter((p) => !this.gone.has(peerId(p)))
      .map((p) => (peerId(p) === this.me ? { ...p, media: { ...(p.media || {}), ...mediaState(p), ...this.pub.state } } : p));
    for (const p of shown) { // when this page first saw each hand go up
      const id = peerId(p);
      if (!mediaState(p).handRaised) this.handSeen.delete(id);
      else if (!this.handSeen.has(id)) this.handSeen.set(id, Date.now());
    }
    this.people.render(shown, this.me, open ? {
      onRole: this.isHost() ? (pid, role) => this.setRole(pid, role) : null,
      onMute: (pid) => api.mute(this.id, pid).catch((e) => toast(errorText(e), true)),
      onRemove: (pid, name) => this.remove(pid, name),
      myRole,
    } : {}, { seen: (id) => this.handSeen.get(id) || 0 });
    this.chat.rerender();
    this.renderTiles();
    this.panels?.render();
  }

  handKey() { return `meshmeet.hand.${this.id}`; }

  /**
   * toggle flips one of the person's own states and remembers it: the microphone and
   * camera for the next pre-join step (this browser), the hand for a reload (this tab).
   * @param {string} k
   */
  async toggle(k) {
    const done = this.pub.toggle(k); // the state flips at once; a device may still fail
    this.remember();
    await done;
    this.remember();
  }

  remember() {
    const st = this.pub.state;
    savePrefs({ micOn: st.audio, camOn: st.video });
    try {
      if (st.handRaised) sessionStorage.setItem(this.handKey(), '1');
      else sessionStorage.removeItem(this.handKey());
    } catch { /* storage blocked */ }
  }

  /** talk is hold-Space-to-talk: the microphone is live while Space is down. @param {boolean} down */
  talk(down) {
    if (this.ended) return;
    if (down && !this.pub.state.audio) {
      this.pushToTalk = true;
      this.pub.setMic(true);
    } else if (!down && this.pushToTalk) {
      this.pushToTalk = false;
      this.pub.setMic(false);
    }
  }

  /** react sends a reaction to everyone and shows it on our own tile. @param {string} emoji */
  async react(emoji) {
    this.tiles.react('self', emoji);
    try {
      await api.react(this.id, emoji);
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  async pollQuality() {
    if (this.ended || document.hidden) return;
    try {
      this.quality.update(await this.media.stats(), (peer, q) => this.tiles.setQuality(peer, q));
    } catch { /* the connection is being rebuilt */ }
  }

  renderPeopleSoon() {
    if (this.peopleTimer) return;
    this.peopleTimer = setTimeout(() => { this.peopleTimer = null; this.renderPeople(); }, 0);
  }

  // upsert applies one participant from an event at once, before the refresh.
  upsert(p) {
    const id = peerId(p);
    if (!id) return;
    const i = this.participants.findIndex((x) => peerId(x) === id);
    if (i >= 0) this.participants[i] = { ...this.participants[i], ...p };
    else this.participants.push(p);
    this.renderPeople();
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshParticipants(), 150);
  }

  async refreshMeeting() {
    try {
      const m = meetingOf(await api.meeting(this.id));
      // An answer that left the node before the end must not bring the meeting back.
      if (this.meeting?.status === 'ended') m.status = 'ended';
      this.meeting = m;
      this.renderHeader();
      this.renderLocal();
    } catch { /* keep what we have */ }
  }

  async setRole(pid, role) {
    try {
      await api.setRole(this.id, pid, role);
      this.scheduleRefresh();
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  // canModerate: this node is the host or a moderator of a live meeting.
  canModerate() {
    const role = this.participants.find((p) => peerId(p) === this.me)?.role;
    return this.meeting?.status !== 'ended' && (role === 'host' || role === 'moderator');
  }

  // canRecord: the host and moderators of a meeting that allows recording.
  canRecord() {
    return !!this.meeting?.settings?.enableRecording && this.canModerate();
  }

  // canExtend: the host and moderators of a meeting that ends by itself.
  canExtend() {
    return !!this.meeting?.endsAt && this.canModerate();
  }

  async extend(minutes) {
    try {
      this.meeting = meetingOf(await api.extend(this.id, minutes));
      this.renderHeader();
      this.tick();
      toast(t('meeting.extended', { n: minutes }));
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  // rekey moves the meeting to a new key: the link changes, and whoever
  // had the old one but is no longer a member reads nothing new.
  async rekey() {
    try {
      this.meeting = meetingOf(await api.rekey(this.id));
      this.renderHeader();
      toast(t('meeting.rekeyed'));
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  // tick shows the time left in a meeting that ends by itself; the node's
  // meeting-ended notice ends the page when it is up.
  tick() {
    const ends = Date.parse(this.meeting?.endsAt ?? '');
    const el = this.timeLeft;
    if (Number.isNaN(ends) || this.meeting?.status === 'ended') {
      el.hidden = true;
      return;
    }
    const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    const mm = Math.floor(left / 60), ss = String(left % 60).padStart(2, '0');
    el.hidden = false;
    el.textContent = left > 0 ? t('meeting.endsIn', { time: `${mm}:${ss}` }) : t('meeting.timeUp');
    el.classList.toggle('soon', left < 300);
    el.title = t('meeting.endsAt', { time: new Date(ends).toLocaleTimeString(lang) });
  }

  async setRecording(on) {
    try {
      this.meeting = meetingOf(await api.setRecording(this.id, on));
      this.renderHeader();
      if (!on) {
        toast(t('meeting.recordStopped'));
        this.recordings.load();
      }
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  async remove(pid, name) {
    const who = name || t('people.thisOne');
    if (!await confirmDialog({ title: t('people.removeTitle'), text: t('people.removeConfirm', { name: who }), yes: t('people.removeYes'), danger: true })) return;
    try {
      await api.remove(this.id, pid);
      this.scheduleRefresh();
    } catch (e) {
      toast(errorText(e), true);
    }
  }

  onConn(st) {
    if (this.meeting?.status === 'ended') return;
    this.conn.textContent = st === 'open' ? t('conn.live') : t('conn.reconnecting');
    this.conn.classList.toggle('live', st === 'open');
    if (st === 'open') {
      this.media.connect(); // (re)start the media session on every (re)connect
      this.chat.load(); // fill any gap while disconnected
      this.refreshMeeting(); // an extension or a rename made before the socket opened
      this.lobby.load(); // and a knock
      this.scheduleRefresh();
    }
  }

  onMediaStatus(st) {
    if (this.meeting?.status === 'ended') return;
    const key = { connected: 'live', connecting: 'connecting', new: 'connecting', disconnected: 'reconnecting', failed: 'failed', closed: 'off' }[st];
    const text = key ? t(`media.${key}`) : st;
    this.mediaConn.textContent = text;
    this.mediaConn.dataset.state = st;
    this.mediaConn.classList.toggle('live', st === 'connected');
  }

  // onLinks: whose media is reconnecting. In a mesh, the peers whose link is; with a
  // relay (not us), everyone's once the link to the relay is.
  onLinks(links, relay) {
    const down = new Set(links.filter((l) => l.status === 'reconnecting').map((l) => l.peerId));
    const all = relay && relay !== this.me && down.has(relay);
    const changed = all !== this.allReconnecting || [...down].sort().join() !== [...(this.reconnecting || [])].sort().join();
    this.reconnecting = down;
    this.allReconnecting = all;
    if (changed) this.renderTiles();
  }

  onEvent(ev) {
    const d = ev.data;
    switch (ev.type) {
      case 'signal':
        this.media.onSignal(d);
        break;
      case 'chat-message':
        this.chat.add(d);
        break;
      case 'participant-joined':
        if (peerId(d)) this.gone.delete(peerId(d));
        if (d && typeof d === 'object' && !d.leftAt) this.upsert(d);
        this.activity.load();
        this.scheduleRefresh();
        break;
      case 'participant-left':
        if (peerId(d) && peerId(d) !== this.me) this.gone.set(peerId(d), Date.now());
        this.activity.load();
        this.renderPeople();
        this.scheduleRefresh();
        break;
      case 'mute-requested':
        if (this.pub.state.audio) this.pub.setMic(false);
        toast(t('meeting.mutedBy', { name: displayName(d) || t('role.host') }));
        break;
      case 'participant-removed':
        if (peerId(d) === this.me) {
          this.onRemoved();
          break;
        }
        if (peerId(d)) this.gone.set(peerId(d), Date.now());
        toast(t('meeting.removed', { name: displayName(d) || t('people.aParticipant') }));
        this.renderPeople();
        this.scheduleRefresh();
        break;
      case 'media-state-changed':
        if (d && typeof d === 'object') this.upsert(d);
        this.scheduleRefresh();
        break;
      case 'meeting-updated':
        this.activity.load();
        this.refreshMeeting();
        this.recordings.load(); // a recording may have stopped
        this.scheduleRefresh();
        break;
      case 'meeting-ended':
        this.onEnded();
        break;
      case 'lobby-updated':
        this.lobby.render(Array.isArray(d) ? d : []);
        break;
      case 'reaction': { // {type, meeting, peer, emoji}: presence, not stored
        const r = /** @type {any} */ (ev);
        const peer = r.peer ?? d?.peer;
        const emoji = r.emoji ?? d?.emoji;
        if (typeof peer === 'string' && typeof emoji === 'string' && peer !== this.me) {
          this.tiles.react(peer, emoji);
          this.live.textContent = t('reaction.from', { name: this.nameOf(peer) || t('common.someone'), emoji });
        }
        break;
      }
      default:
        break;
    }
  }

  onEnded() {
    if (this.meeting) this.meeting.status = 'ended';
    this.ended = true;
    this.mutedHint.stop();
    this.tick();
    this.pub.stop();
    this.media.close();
    this.events?.close();
    this.devices.close();
    this.remote = {};
    // no live connection and no moderation in an ended meeting
    this.conn.hidden = true;
    this.mediaConn.hidden = true;
    this.lobby.render([]);
    this.renderHeader();
    this.renderLocal();
    this.renderPeople();
    this.chat.disable(t('meeting.endedToast'));
    this.recordings.load();
    toast(t('meeting.endedToast'));
  }

  // onRemoved: the host or a moderator took this node out of the meeting.
  onRemoved() {
    this.ended = true;
    this.keys?.();
    document.body.classList.remove('in-room');
    this.pub.stop();
    this.media.close();
    this.events?.close();
    this.app.classList.remove('wide-app', 'room-app');
    replace(this.app, h('section', { class: 'card', id: 'removed' }, h('h2', {}, t('removed.title')),
      h('p', {}, t('removed.text')),
      h('p', {}, h('a', { href: '/' }, t('common.backHome')))));
  }

  async leave() {
    this.pub.stop();
    this.media.close();
    try {
      await api.leave(this.id);
    } catch (e) {
      if (e.status !== 404 && e.status !== 409) toast(errorText(e), true);
    }
    this.events?.close();
    location.assign('/');
  }

  async end() {
    if (!await confirmDialog({ title: t('meeting.endTitle'), text: t('meeting.endConfirm'), yes: t('controls.end'), danger: true })) return;
    try {
      await api.end(this.id);
      this.onEnded();
    } catch (e) {
      toast(errorText(e), true);
    }
  }
}

// copy puts the join link on the clipboard; where the browser refuses, a
// dialog shows it selected, to copy by hand.
/** @param {string} text */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('meeting.copied'));
  } catch {
    textDialog({ id: 'invite-dialog', title: t('controls.invite'), text: t('meeting.copyPrompt'), value: text });
  }
}
