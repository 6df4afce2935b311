// Home page: node info, meetings, create and join forms.
import { api, calendarURL } from './api.js';
import { h, replace, fmtTime, toast } from './dom.js';
import { list, meetingOf, meetingId } from './model.js';
import { t, errorText } from './i18n.js';

export function renderHome(app) {
  const nodeBox = h('section', { class: 'card' }, h('h2', {}, t('home.node')), h('p', { class: 'muted' }, t('common.loading')));
  const meetingsBox = h('section', { class: 'card wide' });
  replace(app, h('div', { class: 'grid' }, nodeBox, joinForm(), createForm(), meetingsBox));
  loadNode(nodeBox);
  loadMeetings(meetingsBox);
  const timer = setInterval(() => { if (!document.hidden) loadMeetings(meetingsBox); }, 15000);
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true });
}

// statusText words a meeting's status.
export function statusText(status) {
  return ['active', 'scheduled', 'ended', 'waiting', 'denied'].includes(status) ? t(`status.${status}`) : t('status.unknown');
}

async function loadNode(box) {
  try {
    const n = await api.node();
    const peers = n?.connectedPeers ?? n?.peers ?? [];
    const addrs = n?.addresses ?? n?.addrs ?? [];
    replace(box, h('h2', {}, t('home.node')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('home.name')), h('dd', {}, n?.name || '—'),
        h('dt', {}, t('home.peerId')), h('dd', { class: 'mono' }, n?.peerId || '—'),
        h('dt', {}, t('home.version')), h('dd', {}, n?.version || '—'),
        h('dt', {}, t('home.peers')), h('dd', {}, String(Array.isArray(peers) ? peers.length : peers)),
        h('dt', {}, t('home.addresses')),
        h('dd', {}, Array.isArray(addrs) && addrs.length
          ? h('ul', { class: 'plain mono small' }, addrs.map((a) => h('li', {}, String(a))))
          : '—')));
  } catch (e) {
    replace(box, h('h2', {}, t('home.node')), h('p', { class: 'error' }, errorText(e)));
  }
}

async function loadMeetings(box) {
  let meetings;
  try {
    meetings = list(await api.meetings(), 'meetings').map(meetingOf);
  } catch (e) {
    replace(box, h('h2', {}, t('home.meetings')), h('p', { class: 'error' }, errorText(e)));
    return;
  }
  const order = { active: 0, scheduled: 1, ended: 2 };
  meetings.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) ||
    String(a.scheduledTime ?? '').localeCompare(String(b.scheduledTime ?? '')));
  replace(box,
    h('div', { class: 'row between' }, h('h2', {}, t('home.meetings')),
      h('button', { type: 'button', class: 'secondary', onclick: () => loadMeetings(box) }, t('home.refresh'))),
    meetings.length === 0
      ? h('p', { class: 'muted' }, t('home.none'))
      : h('ul', { class: 'meetings' }, meetings.map((mt) => h('li', {},
        h('a', { href: `/m/${encodeURIComponent(meetingId(mt))}` }, mt.title || t('home.untitled')),
        h('span', { class: `badge ${mt.status || ''}` }, statusText(mt.status)),
        h('span', { class: 'muted small' },
          [fmtTime(mt.scheduledTime), mt.duration ? t('common.minutes', { n: mt.duration }) : ''].filter(Boolean).join(' · ')),
        h('a', { class: 'small', href: calendarURL(meetingId(mt)), download: 'meeting.ics', 'data-ticket': true }, t('home.addCalendar'))))));
}

function joinForm() {
  const input = h('input', { type: 'url', name: 'joinUrl', required: true, placeholder: `${location.origin}/m/…#k=…`, autocomplete: 'off' });
  return h('section', { class: 'card' },
    h('h2', {}, t('home.joinTitle')),
    h('form', {
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
  const submit = h('button', { type: 'submit' }, t('home.create'));
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
      toast(errorText(err), true);
    } finally {
      submit.disabled = false;
    }
  }
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
