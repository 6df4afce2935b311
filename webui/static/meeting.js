// Meeting page /m/{id}: join from the link fragment, then the video grid,
// controls, participants and chat. Camera and microphone are asked for while
// joining, so media starts as soon as the node offers.
import { api } from './api.js';
import { h, replace, toast } from './dom.js';
import { meetingOf } from './model.js';
import { captureLocal } from './media.js';
import { MeetingPage } from './meetingpage.js';
import { waitInLobby } from './lobby.js';

export async function renderMeeting(app, id, localP = captureLocal()) {
  replace(app, h('p', { class: 'muted' }, 'Joining…'));
  const drop = () => localP.then(({ audio, video }) => { audio?.stop(); video?.stop(); });
  const frag = new URLSearchParams(location.hash.slice(1));
  const hasSecret = frag.has('k') || frag.has('l');
  let joined = null;
  try {
    if (hasSecret) joined = await api.join(location.href);
  } catch (e) {
    drop();
    showProblem(app, id, e.message);
    return;
  }
  if (joined && joined.status === 'waiting') {
    waitInLobby(app, id, () => openPage(app, id, localP, drop, hasSecret));
    return;
  }
  await openPage(app, id, localP, drop, hasSecret);
}

async function openPage(app, id, localP, drop, hasSecret) {
  let meeting;
  let node;
  try {
    [meeting, node] = await Promise.all([api.meeting(id).then(meetingOf), api.node().catch(() => null)]);
  } catch (e) {
    drop();
    showProblem(app, id, e.status === 404 && !hasSecret
      ? 'This node does not know that meeting. Open the full join link (it ends with #k=…).'
      : e.message);
    return;
  }
  new MeetingPage(app, id, meeting, node).start(localP);
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

