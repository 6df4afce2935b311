// Meeting page /m/{id}: every way in (a join link, the link a new meeting
// opens, a lobby admission, a reload) passes the pre-join step, and only its
// Join button joins: a page that merely opens a link sends nothing and joins
// nothing. An ended meeting opens as a readable record, without devices.
import { api, ApiError } from './api.js';
import { h, replace, toast } from './dom.js';
import { meetingOf } from './model.js';
import { MeetingPage } from './meetingpage.js';
import { waitInLobby } from './lobby.js';
import { preJoin } from './prejoin.js';
import { captureBoth, loadPrefs } from './devices.js';
import { t, errorText } from './i18n.js';

const ID = /^[0-9a-f]{32}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding

// linkProblem: why the address is not a usable join link, or ''.
function linkProblem(id, frag) {
  if (!ID.test(id)) return 'invalid_link';
  for (const k of ['k', 'l']) if (frag.has(k) && !KEY.test(frag.get(k))) return 'invalid_link';
  return '';
}

export async function renderMeeting(app, id) {
  replace(app, h('p', { class: 'muted' }, t('common.loading')));
  const frag = new URLSearchParams(location.hash.slice(1));
  const hasSecret = frag.has('k') || frag.has('l');
  const lobbyLink = frag.has('l') && !frag.has('k');
  const bad = linkProblem(id, frag);
  if (bad) {
    showProblem(app, id, errorText(new ApiError(400, bad, '')));
    return;
  }
  const [meeting, node] = await Promise.all([
    api.meeting(id).then(meetingOf, (e) => e),
    api.node().catch(() => null),
  ]);
  if (meeting instanceof Error) {
    // A guest's node learns the meeting only by joining it: fine with a link.
    const status = /** @type {ApiError} */ (meeting).status;
    if (!(status === 404 && hasSecret)) {
      showProblem(app, id, status === 404 ? t('meeting.unknown') : errorText(meeting));
      return;
    }
  }
  const known = meeting instanceof Error ? null : meeting;
  if (known?.status === 'ended') {
    new MeetingPage(app, id, known, node).record();
    return;
  }
  if (!hasSecret && !known?.joined && !known?.joinUrl) {
    showProblem(app, id, t('meeting.unknown'));
    return;
  }
  const enter = async (tracks) => {
    const m = known?.joined ? known : meetingOf(await api.meeting(id));
    new MeetingPage(app, id, m, node).start(Promise.resolve(tracks));
  };
  // A language switch in the room reloads the page: back in without a second step.
  if (sessionStorage.getItem('meshmeet.relang') === id) {
    sessionStorage.removeItem('meshmeet.relang');
    if (known?.joined) {
      const p = loadPrefs();
      const got = await captureBoth({ mic: p.micOn, camera: p.camOn });
      await enter({ audio: got.audio, video: got.video });
      return;
    }
  }
  preJoin(app, {
    title: known?.title || '',
    name: node?.name || '',
    lobby: lobbyLink && !known?.joined,
    onJoin: async (tracks) => {
      let joined;
      try {
        joined = await api.join(hasSecret ? location.href : known.joinUrl);
      } catch (e) {
        throw new Error(errorText(e));
      }
      if (joined && joined.status === 'waiting') {
        waitInLobby(app, id, () => enter(tracks).catch((e) => showProblem(app, id, errorText(e))), () => {
          tracks.audio?.stop();
          tracks.video?.stop();
        });
        return;
      }
      await enter(tracks);
    },
  });
}

function showProblem(app, id, message) {
  const input = h('input', { type: 'url', placeholder: `${location.origin}/m/${ID.test(id) ? id : '…'}#k=…`, required: true });
  replace(app, h('section', { class: 'card', id: 'meeting-problem' },
    h('h2', {}, t('meeting.problem')),
    h('p', { class: 'error' }, message),
    h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        try {
          const u = new URL(input.value.trim());
          location.assign(`${location.origin}${u.pathname}${u.hash}`);
          if (u.pathname === location.pathname) location.reload();
        } catch { toast(t('link.notLink'), true); }
      },
    }, h('label', {}, t('home.joinLink'), input), h('button', { type: 'submit' }, t('home.join'))),
    h('p', {}, h('a', { href: '/' }, t('common.backHome')))));
}
