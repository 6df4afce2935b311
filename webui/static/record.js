// The meeting page's record menu: download the meeting's record in each
// format, or delete this computer's copy of the meeting.
import { h } from './dom.js';
import { api, exportURL } from './api.js';
import { t } from './strings.js';

export function recordMenu(id) {
  const formats = [['md', t.formatMd], ['html', t.formatHtml], ['json', t.formatJson]];
  return h('details', { class: 'record-menu', id: 'record-menu' },
    h('summary', { class: 'secondary small', id: 'btn-record-download', title: t.downloadRecordTitle }, t.downloadRecord),
    h('div', { class: 'record-menu-items' },
      formats.map(([f, label]) => h('a', {
        class: 'small', id: `export-${f}`, href: exportURL(id, f), download: `meeting-${id}.${f}`,
      }, label)),
      h('button', {
        type: 'button', class: 'danger small', id: 'btn-delete-meeting', title: t.deleteMeetingTitle,
        onclick: async () => {
          if (!confirm(t.deleteConfirm)) return;
          try {
            await api.deleteMeeting(id);
            location.assign('/');
          } catch (e) {
            alert(t.deleteFailed + e.message);
          }
        },
      }, t.deleteMeeting)));
}
