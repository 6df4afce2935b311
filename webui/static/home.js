// Home page: node info, meetings, create and join forms.
import { api, calendarURL } from './api.js';
import { h, replace, fmtTime, toast } from './dom.js';
import { list, meetingOf, meetingId } from './model.js';

export function renderHome(app) {
  const nodeBox = h('section', { class: 'card' }, h('h2', {}, 'This node'), h('p', { class: 'muted' }, 'Loading…'));
  const meetingsBox = h('section', { class: 'card wide' });
  replace(app, h('div', { class: 'grid' }, nodeBox, joinForm(), createForm(), meetingsBox));
  loadNode(nodeBox);
  loadMeetings(meetingsBox);
  const timer = setInterval(() => { if (!document.hidden) loadMeetings(meetingsBox); }, 15000);
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true });
}

async function loadNode(box) {
  try {
    const n = await api.node();
    const peers = n?.connectedPeers ?? n?.peers ?? [];
    const addrs = n?.addresses ?? n?.addrs ?? [];
    replace(box, h('h2', {}, 'This node'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Name'), h('dd', {}, n?.name || '—'),
        h('dt', {}, 'Peer ID'), h('dd', { class: 'mono' }, n?.peerId || '—'),
        h('dt', {}, 'Version'), h('dd', {}, n?.version || '—'),
        h('dt', {}, 'Connected peers'), h('dd', {}, String(Array.isArray(peers) ? peers.length : peers)),
        h('dt', {}, 'Addresses'),
        h('dd', {}, Array.isArray(addrs) && addrs.length
          ? h('ul', { class: 'plain mono small' }, addrs.map((a) => h('li', {}, String(a))))
          : '—')));
  } catch (e) {
    replace(box, h('h2', {}, 'This node'), h('p', { class: 'error' }, e.message));
  }
}

async function loadMeetings(box) {
  let meetings;
  try {
    meetings = list(await api.meetings(), 'meetings').map(meetingOf);
  } catch (e) {
    replace(box, h('h2', {}, 'Meetings'), h('p', { class: 'error' }, e.message));
    return;
  }
  const order = { active: 0, scheduled: 1, ended: 2 };
  meetings.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) ||
    String(a.scheduledTime ?? '').localeCompare(String(b.scheduledTime ?? '')));
  replace(box,
    h('div', { class: 'row between' }, h('h2', {}, 'Meetings'),
      h('button', { type: 'button', class: 'secondary', onclick: () => loadMeetings(box) }, 'Refresh')),
    meetings.length === 0
      ? h('p', { class: 'muted' }, 'No meetings yet. Create one or join by link.')
      : h('ul', { class: 'meetings' }, meetings.map((mt) => h('li', {},
        h('a', { href: `/m/${encodeURIComponent(meetingId(mt))}` }, mt.title || '(untitled)'),
        h('span', { class: `badge ${mt.status || ''}` }, mt.status || 'unknown'),
        h('span', { class: 'muted small' },
          [fmtTime(mt.scheduledTime), mt.duration ? `${mt.duration} min` : ''].filter(Boolean).join(' · ')),
        h('a', { class: 'small', href: calendarURL(meetingId(mt)), download: 'meeting.ics' }, 'add to calendar')))));
}

function joinForm() {
  const input = h('input', { type: 'url', name: 'joinUrl', required: true, placeholder: 'http://127.0.0.1:7700/m/…#k=…', autocomplete: 'off' });
  return h('section', { class: 'card' },
    h('h2', {}, 'Join by link'),
    h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        let u;
        try { u = new URL(input.value.trim()); } catch { toast('That is not a link.', true); return; }
        if (!/^\/m\/[^/]+$/.test(u.pathname) || !u.hash) { toast('A join link looks like …/m/<meeting>#k=<secret>.', true); return; }
        // Open it on this node: the same link works on every employee's node.
        location.assign(`${location.origin}${u.pathname}${u.hash}`);
      },
    }, h('label', {}, 'Meeting link', input), h('button', { type: 'submit' }, 'Join')));
}

function createForm() {
  const f = {
    title: h('input', { name: 'title', required: true, maxlength: '200' }),
    description: h('textarea', { name: 'description', rows: '2', maxlength: '2000' }),
    scheduledTime: h('input', { name: 'scheduledTime', type: 'datetime-local' }),
    duration: h('input', { name: 'duration', type: 'number', min: '1', max: '1440', value: '60' }),
    maxParticipants: h('input', { name: 'maxParticipants', type: 'number', min: '2', max: '1000', value: '50' }),
    requireApproval: h('input', { name: 'requireApproval', type: 'checkbox' }),
    enableRecording: h('input', { name: 'enableRecording', type: 'checkbox' }),
    enableChat: h('input', { name: 'enableChat', type: 'checkbox', checked: true }),
    autoEnd: h('input', { name: 'autoEnd', type: 'checkbox' }),
  };
  const submit = h('button', { type: 'submit' }, 'Create meeting');
  async function onsubmit(e) {
    e.preventDefault();
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
      toast(err.message, true);
    } finally {
      submit.disabled = false;
    }
  }
  const check = (el, text) => h('label', { class: 'check' }, el, text);
  return h('section', { class: 'card' },
    h('h2', {}, 'New meeting'),
    h('form', { onsubmit },
      h('label', {}, 'Title', f.title),
      h('label', {}, 'Description', f.description),
      h('div', { class: 'row' },
        h('label', {}, 'Starts', f.scheduledTime),
        h('label', {}, 'Minutes', f.duration)),
      h('fieldset', {}, h('legend', {}, 'Settings'),
        h('label', {}, 'Max participants', f.maxParticipants),
        check(f.requireApproval, 'Require approval (lobby)'),
        check(f.enableRecording, 'Allow recording'),
        check(f.enableChat, 'Chat'),
        check(f.autoEnd, 'End when the time is up (counted from the first join)')),
      submit));
}
