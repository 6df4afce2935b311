// Activity panel: the meeting's audit log (who joined, left, changed roles,
// admitted, removed, recorded, extended or ended), read when opened.
import { h, replace, fmtTime, shortId, toast } from './dom.js';
import { api } from './api.js';

const verbs = {
  created: () => 'created the meeting',
  join: () => 'joined',
  leave: () => 'left',
  end: () => 'ended the meeting',
  role: (e, who) => `made ${who(e.target)} ${e.role === 'moderator' ? 'a moderator' : 'a participant'}`,
  admit: (e, who) => `admitted ${who(e.target)}`,
  deny: (e, who) => `turned ${who(e.target)} away`,
  remove: (e, who) => `removed ${who(e.target)}`,
  mute: (e, who) => `asked ${who(e.target)} to mute`,
  'recording-started': () => 'started recording',
  'recording-stopped': () => 'stopped recording',
  extend: (e) => `extended the meeting by ${e.minutes} min`,
  update: () => 'edited the meeting',
};

export function createActivity(id, nameOf) {
  const listEl = h('ol', { class: 'activity', id: 'activity-list' });
  const el = h('details', { class: 'card activity-card', ontoggle: () => { if (el.open) load(); } },
    h('summary', {}, h('h2', {}, 'Activity')), listEl);
  const who = (pid) => nameOf(pid) || shortId(pid) || 'someone';

  async function load() {
    if (!el.open) return;
    try {
      const entries = await api.audit(id);
      replace(listEl, (entries || []).map((e) => h('li', {},
        h('time', { class: 'muted small', title: fmtTime(e.time), datetime: e.time },
          new Date(e.time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })), ' ',
        h('strong', {}, who(e.actor)), ' ',
        (verbs[e.type] || (() => e.type))(e, who))));
    } catch (err) {
      toast(`Activity: ${err.message}`, true);
    }
  }
  return { el, load };
}
