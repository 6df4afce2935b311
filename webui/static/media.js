// Media: camera/microphone/screen capture and the one RTCPeerConnection to
// this node, negotiated by the node (media/PROTOCOL.md): the node offers, we
// answer; we publish on the transceivers the offer's "publish" names and
// learn whose track arrives on each mid from its "tracks".

import { t } from './i18n.js';
import { watchViewSizes } from './viewsize.js';

const SOURCES = ['mic', 'camera', 'screen'];
const RESTART_AFTER_DISCONNECT_MS = 2500; // ICE "disconnected" this long → ask for a restart
const REHELLO_AFTER_FAILED_MS = 12000; // still failed after restarts → start a new session
// The camera goes out as three simulcast layers (RIDs the node's offer names);
// the node forwards each receiver the one that fits its tile and bandwidth.
export const CAMERA_LAYERS = {
  q: { scaleResolutionDownBy: 4, maxBitrate: 150000 },
  h: { scaleResolutionDownBy: 2, maxBitrate: 500000 },
  f: { scaleResolutionDownBy: 1, maxBitrate: 1500000 },
};

// captureScreen uses getDisplayMedia; it throws with a readable message when
// the browser cannot share a screen.
export async function captureScreen() {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new Error(t('screen.cannot'));
  const s = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  const track = s.getVideoTracks()[0];
  if (!track) throw new Error(t('screen.none'));
  return track;
}

// canvasTrack is a moving test picture as a video track (for automation in
// browsers without screen capture).
export function canvasTrack(label = 'test screen') {
  const c = document.createElement('canvas');
  c.width = 640;
  c.height = 360;
  const g = c.getContext('2d');
  let n = 0;
  const draw = () => {
    n++;
    g.fillStyle = `hsl(${(n * 3) % 360} 60% 40%)`;
    g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = '#fff';
    g.font = '32px sans-serif';
    g.fillText(`${label} ${n}`, 40, 180);
    g.fillRect((n * 7) % c.width, 300, 40, 40);
  };
  draw();
  const timer = setInterval(draw, 1000 / 15);
  const track = c.captureStream(15).getVideoTracks()[0];
  track.addEventListener('ended', () => clearInterval(timer));
  const stop = track.stop.bind(track);
  track.stop = () => { clearInterval(timer); stop(); };
  return track;
}

// MediaSession owns the PeerConnection to the node. send(msg) sends one
// signalling message (without v/meetingId: added here); onRemote(peers) gets
// {peerId: {mic, camera, screen}} (MediaStreamTracks or undefined) whenever
// the set of remote tracks changes; onStatus(text) reports the connection;
// onLinks(links, relay) reports the node's links to the other nodes.
export class MediaSession {
  /**
   * @param {string} meetingId
   * @param {{send: (m: any) => void, onRemote?: (peers: Record<string, any>) => void, onStatus?: (st: string) => void,
   *   onLinks?: (links: any[], relay: string) => void, log?: (m: string) => void}} handlers
   */
  constructor(meetingId, { send, onRemote = () => {}, onStatus = () => {}, onLinks = () => {}, log = () => {} }) {
    this.meetingId = meetingId;
    this.sendRaw = send;
    this.onRemote = onRemote;
    this.onStatus = onStatus;
    this.onLinks = onLinks;
    this.log = log;
    this.local = { mic: null, camera: null, screen: null }; // tracks we publish (null: nothing)
    this.pc = null;
    this.closed = false;
    // The size of every video tile, for the node's choice of layers; sent again
    // to a new session (after hello).
    this.view = typeof ResizeObserver === 'undefined' ? null
      : watchViewSizes(document, (tiles) => { if (this.pc) this.send({ type: 'view', tiles }); });
  }

  send(msg) {
    this.sendRaw({ v: 1, meetingId: this.meetingId, ...msg });
  }

  // connect starts a fresh session: new PeerConnection, then hello. Called
  // when the events WebSocket (re)opens; the node replaces any old session.
  connect() {
    if (this.closed) return;
    this.teardownPC();
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    const s = {
      pc,
      chain: Promise.resolve(), // signalling messages are handled one at a time, in order
      tracks: {}, // mid -> {peerId, kind, source} from the last offer
      publish: {}, // source -> mid
      pubTr: {}, // source -> transceiver we send on
      pending: [], // candidates that came before the offer
      restartTimer: null,
      failedTimer: null,
      lastRestart: 0,
    };
    this.pc = s;
    pc.onicecandidate = (e) => {
      if (!e.candidate || this.pc !== s) return; // skip end-of-candidates
      const c = e.candidate;
      this.send({ type: 'candidate', candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment } });
    };
    pc.ontrack = () => { /* mapped after the answer, from the offer's tracks */ };
    pc.oniceconnectionstatechange = () => this.onIceState(s);
    pc.onconnectionstatechange = () => {
      if (this.pc === s) this.onStatus(pc.connectionState);
    };
    this.onStatus('connecting');
    this.send({ type: 'hello', simulcast: true });
    const tiles = this.view?.last();
    if (tiles) this.send({ type: 'view', tiles });
  }

  onIceState(s) {
    if (this.pc !== s) return;
    const st = s.pc.iceConnectionState;
    clearTimeout(s.restartTimer);
    if (st === 'connected' || st === 'completed') {
      clearTimeout(s.failedTimer);
      s.failedTimer = null;
      return;
    }
    if (st === 'failed') {
      this.restart(s);
      if (!s.failedTimer) s.failedTimer = setTimeout(() => { if (this.pc === s && s.pc.iceConnectionState === 'failed') this.connect(); }, REHELLO_AFTER_FAILED_MS);
    } else if (st === 'disconnected') {
      s.restartTimer = setTimeout(() => { if (this.pc === s && s.pc.iceConnectionState === 'disconnected') this.restart(s); }, RESTART_AFTER_DISCONNECT_MS);
    }
  }

  restart(s) {
    const now = Date.now();
    if (now - s.lastRestart < 2000) return;
    s.lastRestart = now;
    this.log('asking the node for an ICE restart');
    this.send({ type: 'restart' });
  }

  // onSignal handles one node → browser message.
  onSignal(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.meetingId && msg.meetingId !== this.meetingId) return;
    if (msg.type === 'links') {
      this.onLinks(Array.isArray(msg.links) ? msg.links : [], typeof msg.relay === 'string' ? msg.relay : '');
      return;
    }
    const s = this.pc;
    if (!s) return;
    s.chain = s.chain.then(() => this.handle(s, msg)).catch((e) => this.log(`signalling: ${e?.message || e}`));
  }

  async handle(s, msg) {
    if (this.pc !== s) return;
    switch (msg.type) {
      case 'offer':
        await this.onOffer(s, msg);
        break;
      case 'candidate':
        if (!msg.candidate) return;
        if (!s.pc.remoteDescription) s.pending.push(msg.candidate);
        else await s.pc.addIceCandidate(msg.candidate);
        break;
      case 'bye':
        this.teardownPC();
        this.onStatus('closed');
        break;
      default:
        break;
    }
  }

  async onOffer(s, msg) {
    const pc = s.pc;
    s.tracks = msg.tracks && typeof msg.tracks === 'object' ? msg.tracks : {};
    if (msg.publish && typeof msg.publish === 'object') s.publish = msg.publish;
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const byMid = new Map(pc.getTransceivers().map((t) => [t.mid, t]));
    const replaces = [];
    for (const src of SOURCES) {
      const tr = byMid.get(s.publish[src]);
      if (!tr || s.pubTr[src] === tr) continue;
      tr.direction = 'sendonly';
      s.pubTr[src] = tr;
      replaces.push(tr.sender.replaceTrack(this.local[src] || null));
    }
    await Promise.all(replaces);
    await pc.setLocalDescription(await pc.createAnswer());
    this.send({ type: 'answer', sdp: pc.localDescription.sdp });
    await this.setLayers(s.pubTr.camera);
    const pending = s.pending.splice(0);
    for (const c of pending) {
      try { await pc.addIceCandidate(c); } catch (e) { this.log(`candidate: ${e.message}`); }
    }
    this.emitRemote(s);
  }

  // setLayers sizes the camera's simulcast encodings (the offer's RIDs), once.
  async setLayers(tr) {
    if (!tr || tr.layersSet) return;
    const p = tr.sender.getParameters();
    if (!p.encodings || p.encodings.length < 2) return; // no simulcast negotiated
    for (const e of p.encodings) Object.assign(e, CAMERA_LAYERS[e.rid] || {});
    try {
      await tr.sender.setParameters(p);
      tr.layersSet = true;
    } catch (e) { this.log(`simulcast layers: ${e.message}`); }
  }

  // remoteTracks lists the live remote tracks: {peerId: {mic, camera, screen}}.
  remoteTracks(s = this.pc) {
    const peers = {};
    if (!s) return peers;
    for (const tr of s.pc.getTransceivers()) {
      const info = s.tracks[tr.mid];
      if (!info || !info.peerId || !tr.receiver.track) continue;
      const dir = tr.currentDirection;
      if (dir !== 'recvonly' && dir !== 'sendrecv') continue;
      const src = SOURCES.includes(info.source) ? info.source : (info.kind === 'audio' ? 'mic' : 'camera');
      (peers[info.peerId] ||= {})[src] = tr.receiver.track;
    }
    return peers;
  }

  emitRemote(s) {
    if (this.pc === s) this.onRemote(this.remoteTracks(s));
  }

  // setTrack publishes track (or nothing) as source, without renegotiating.
  async setTrack(source, track) {
    this.local[source] = track || null;
    const tr = this.pc?.pubTr[source];
    if (tr && this.pc.pc.signalingState !== 'closed') await tr.sender.replaceTrack(track || null);
  }

  // stats reads getStats and maps inbound streams to peers via the offer's tracks.
  async stats() {
    const s = this.pc;
    const out = { remote: {}, local: { connectionState: s?.pc.connectionState || 'none', iceState: s?.pc.iceConnectionState || 'none' } };
    if (!s) return out;
    const midOf = new Map(); // receiver track id -> mid
    const pubMid = new Map(Object.entries(s.publish).map(([src, mid]) => [mid, src]));
    for (const tr of s.pc.getTransceivers()) if (tr.receiver.track) midOf.set(tr.receiver.track.id, tr.mid);
    const report = await s.pc.getStats();
    const local = out.local;
    report.forEach((r) => {
      if (r.type === 'inbound-rtp') {
        const mid = r.mid ?? midOf.get(r.trackIdentifier);
        const info = s.tracks[mid];
        if (!info?.peerId) return;
        const p = (out.remote[info.peerId] ||= { framesDecoded: 0, audioBytes: 0, screenFramesDecoded: 0, audioPackets: 0, packetsReceived: 0, packetsLost: 0, bytesReceived: 0, jitter: 0 });
        // for the tile's connection quality (quality.js)
        p.packetsReceived += r.packetsReceived || 0;
        p.packetsLost += Math.max(0, r.packetsLost || 0);
        p.bytesReceived += r.bytesReceived || 0;
        if (r.kind === 'audio') p.jitter = Math.max(p.jitter, r.jitter || 0); // video's swings with its frames
        if (r.kind === 'audio') {
          p.audioBytes += r.bytesReceived || 0;
          p.audioPackets += r.packetsReceived || 0;
        } else if (info.source === 'screen') {
          p.screenFramesDecoded += r.framesDecoded || 0;
        } else {
          p.framesDecoded += r.framesDecoded || 0;
        }
      } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        local.rtt = r.currentRoundTripTime || 0;
      } else if (r.type === 'outbound-rtp') {
        const src = pubMid.get(r.mid) || (r.kind === 'audio' ? 'mic' : 'camera');
        if (src === 'mic') local.audioBytesSent = (local.audioBytesSent || 0) + (r.bytesSent || 0);
        else if (src === 'screen') local.screenFramesEncoded = (local.screenFramesEncoded || 0) + (r.framesEncoded || 0);
        else local.framesEncoded = (local.framesEncoded || 0) + (r.framesEncoded || 0);
      }
    });
    return out;
  }

  teardownPC() {
    const s = this.pc;
    if (!s) return;
    this.pc = null;
    clearTimeout(s.restartTimer);
    clearTimeout(s.failedTimer);
    try { s.pc.close(); } catch { /* already closed */ }
    this.onRemote({});
  }

  // close ends the session (the page stops its own tracks).
  close() {
    this.closed = true;
    this.view?.stop();
    this.teardownPC();
  }
}
