// The host's edit form for a meeting: title, description, schedule and duration.
import { h, toast } from './dom.js';
import { api } from './api.js';
import { meetingOf } from './model.js';
import { t, errorText } from './i18n.js';

// localInput turns an ISO time into the value of a datetime-local input.
function localInput(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// editForm builds the form for meeting mt; done(meeting) runs after a save, done(null)
// on cancel.
export function editForm(mt, done) {
  const f = {
    title: h('input', { name: 'title', required: true, maxlength: '200', value: mt.title || '' }),
    description: h('textarea', { name: 'description', rows: '2', maxlength: '4000' }),
    scheduledTime: h('input', { name: 'scheduledTime', type: 'datetime-local', value: localInput(mt.scheduledTime) }),
    duration: h('input', { name: 'duration', type: 'number', min: '1', max: '1440', value: String(mt.duration || 60) }),
  };
  f.description.value = mt.description || '';
  const save = h('button', { type: 'submit' }, t('common.save'));
  async function onsubmit(e) {
    e.preventDefault();
    const body = { title: f.title.value.trim(), description: f.description.value.trim(), duration: Number(f.duration.value) || 60 };
    if (f.scheduledTime.value) body.scheduledTime = new Date(f.scheduledTime.value).toISOString();
    save.disabled = true;
    try {
      done(meetingOf(await api.update(mt.id, body)));
      toast(t('edit.saved'));
    } catch (err) {
      toast(errorText(err), true);
    } finally {
      save.disabled = false;
    }
  }
  return h('form', { class: 'edit-meeting', id: 'edit-meeting', onsubmit },
    h('label', {}, t('meeting.field.title'), f.title),
    h('label', {}, t('meeting.field.description'), f.description),
    h('div', { class: 'row' },
      h('label', {}, t('meeting.field.starts'), f.scheduledTime),
      h('label', {}, t('meeting.field.minutes'), f.duration)),
    h('div', { class: 'row' }, save,
      h('button', { type: 'button', class: 'secondary', onclick: () => done(null) }, t('common.cancel'))));
}
