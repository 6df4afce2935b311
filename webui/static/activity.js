// Activity panel: the meeting's audit log (who joined, left, changed roles,
// admitted, removed, recorded, extended or ended), read when opened.
import { h, replace, fmtTime, shortId, toast } from './dom.js';
import { api } from './api.js';
import { t, lang, errorText } from './i18n.js';

// verb words one audit entry (after the actor's name).
function verb(e, who) {
  switch (e.type) {
    case 'role': return t(e.role === 'moderator' ? 'activity.roleModerator' : 'activity.roleParticipant', { who: who(e.target) });
    case 'admit': case 'deny': case 'remove': case 'mute': return t(`activity.${e.type}`, { who: who(e.target) });
    case 'extend': return t('activity.extend', { n: e.minutes });
    case 'created': case 'join': case 'leave': case 'end': case 'update': case 'rekey': return t(`activity.${e.type}`);
    case 'recording-started': return t('activity.recStart');
    case 'recording-stopped': return t('activity.recStop');
    default: return e.type;
  }
}

export function createActivity(id, nameOf) {
  const listEl = h('ol', { class: 'activity', id: 'activity-list' });
  const el = h('details', { class: 'card activity-card', ontoggle: () => { if (el.open) load(); } },
    h('summary', {}, h('h2', {}, t('activity.title'))), listEl);
  const who = (pid) => nameOf(pid) || shortId(pid) || t('common.someone');

  async function load() {
    if (!el.open) return;
    try {
      const entries = await api.audit(id);
      replace(listEl, (entries || []).map((e) => h('li', {},
        h('time', { class: 'muted small', title: fmtTime(e.time), datetime: e.time },
          new Date(e.time).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })), ' ',
        h('strong', {}, who(e.actor)), ' ',
        verb(e, who))));
    } catch (err) {
      toast(t('common.prefixed', { what: t('activity.title'), msg: errorText(err) }), true);
    }
  }
  return { el, load };
}
