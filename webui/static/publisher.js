// Publisher: this participant's own media — the local tracks, the toggles
// that really start and stop them, and the media state posted to the node
// after every change (in the same tick as the click where it can be).
import { api } from './api.js';
import { toast } from './dom.js';
import { captureScreen } from './media.js';
import { captureCamera, captureMic, deviceErrorText, errorKind } from './devices.js';
import { t, errorText } from './i18n.js';

export class Publisher {
  // media: the MediaSession to publish on; onChange(): state or tracks changed.
  constructor(meetingId, media, onChange) {
    this.id = meetingId;
    this.media = media;
    this.onChange = onChange;
    this.state = { audio: false, video: false, screenShare: false, handRaised: false };
    this.mic = null; // kept while muted (enabled=false) so unmuting is instant
    this.camera = null; // stopped and dropped when the camera is off
    this.screen = null;
    this.unavailable = {};
    this.inflight = null;
    this.dirty = false;
    this.stopped = false;
  }

  // start publishes the tracks the pre-join step chose ({audio, video}, either null).
  async start(localP) {
    const { audio, video } = await localP;
    if (this.stopped) { audio?.stop(); video?.stop(); return; }
    this.mic = audio;
    this.camera = video;
    this.state.audio = !!audio;
    this.state.video = !!video;
    this.watchEnd(video, 'camera');
    this.post();
    this.changed();
    await Promise.all([this.media.setTrack('mic', audio), this.media.setTrack('camera', video)]);
  }

  changed() { this.onChange(); }

  // post sends the full state; overlapping changes coalesce, the last one wins.
  post() {
    if (this.stopped) return;
    if (this.inflight) { this.dirty = true; return; }
    const body = { audio: this.state.audio, video: this.state.video, screenShare: this.state.screenShare, handRaised: this.state.handRaised };
    this.inflight = api.setState(this.id, body)
      .catch((e) => { if (e.status !== 404) toast(t('common.prefixed', { what: t('media.state'), msg: errorText(e) }), true); })
      .finally(() => {
        this.inflight = null;
        if (this.dirty) { this.dirty = false; this.post(); }
      });
  }

  set(k, v) {
    this.state[k] = v;
    this.post();
    this.changed();
  }

  toggle(k) {
    switch (k) {
      case 'audio': return this.setMic(!this.state.audio);
      case 'video': return this.setCamera(!this.state.video);
      case 'screenShare': return this.state.screenShare ? this.stopScreen() : this.shareScreen();
      case 'handRaised': return this.set('handRaised', !this.state.handRaised);
      default: return undefined;
    }
  }

  async setMic(on) {
    this.set('audio', on);
    if (!on) {
      if (this.mic) this.mic.enabled = false;
      await this.media.setTrack('mic', null);
      return;
    }
    try {
      if (!this.mic || this.mic.readyState === 'ended') this.mic = await captureMic();
      if (!this.state.audio) { this.mic.enabled = false; return; } // turned off meanwhile
      this.mic.enabled = true;
      await this.media.setTrack('mic', this.mic);
    } catch (e) {
      this.set('audio', false);
      toast(deviceErrorText('mic', errorKind(e)), true);
    }
  }

  async setCamera(on) {
    this.set('video', on);
    if (!on) {
      const t = this.camera;
      this.camera = null;
      await this.media.setTrack('camera', null);
      t?.stop();
      this.changed();
      return;
    }
    try {
      const t = await captureCamera();
      if (!this.state.video || this.stopped) { t.stop(); return; } // turned off meanwhile
      this.camera?.stop();
      this.camera = t;
      this.watchEnd(t, 'camera');
      await this.media.setTrack('camera', t);
      this.changed();
    } catch (e) {
      this.set('video', false);
      toast(deviceErrorText('camera', errorKind(e)), true);
    }
  }

  async shareScreen() {
    let track;
    try {
      track = await captureScreen();
    } catch (e) {
      this.unavailable.screenShare = e.message;
      toast(t('screen.unavailable', { msg: e.message }), true);
      this.changed();
      return;
    }
    await this.publishScreen(track);
  }

  // publishScreen shares any video track as the screen (also the test path).
  async publishScreen(track) {
    if (this.stopped) { track.stop(); return; }
    const old = this.screen;
    this.screen = track;
    this.watchEnd(track, 'screen');
    this.set('screenShare', true);
    await this.media.setTrack('screen', track);
    if (old && old !== track) old.stop();
  }

  async stopScreen() {
    const t = this.screen;
    this.screen = null;
    this.set('screenShare', false);
    await this.media.setTrack('screen', null);
    t?.stop();
  }

  // switchDevice moves the microphone or camera to deviceId while the
  // meeting goes on: the new track replaces the old on the same sender.
  async switchDevice(kind, deviceId) {
    if (this.stopped) return;
    if (kind === 'mic') {
      if (!this.mic && !this.state.audio) return; // used when the mic is next turned on
      const tr = await captureMic(deviceId);
      if (this.stopped) { tr.stop(); return; }
      const old = this.mic;
      this.mic = tr;
      tr.enabled = this.state.audio;
      if (this.state.audio) await this.media.setTrack('mic', tr);
      old?.stop();
    } else if (kind === 'camera') {
      if (!this.state.video) return;
      const tr = await captureCamera(deviceId);
      if (this.stopped || !this.state.video) { tr.stop(); return; }
      const old = this.camera;
      this.camera = tr;
      this.watchEnd(tr, 'camera');
      await this.media.setTrack('camera', tr);
      old?.stop();
    }
    this.changed();
  }

  // watchEnd follows a track the browser ends by itself (device unplugged,
  // "Stop sharing" in the browser's own bar).
  watchEnd(track, what) {
    track?.addEventListener('ended', () => {
      if (what === 'screen' && this.screen === track) this.stopScreen();
      if (what === 'camera' && this.camera === track) this.setCamera(false);
    });
  }

  // stop ends every local track; nothing is posted afterwards.
  stop() {
    this.stopped = true;
    for (const t of [this.mic, this.camera, this.screen]) t?.stop();
    this.mic = this.camera = this.screen = null;
  }
}
