// The meeting page's record menu: download the meeting's record in each
// format, or delete this computer's copy of the meeting.
import { h } from './dom.js';
import { api, exportURL } from './api.js';
import { t, errorText } from './i18n.js';

export function recordMenu(id) {
  const formats = [['md', t('record.formatMd')], ['html', t('record.formatHtml')], ['json', t('record.formatJson')]];
  return h('details', { class: 'record-menu', id: 'record-menu' },
    h('summary', { class: 'secondary small', id: 'btn-record-download', title: t('record.downloadTitle') }, t('record.download')),
    h('div', { class: 'record-menu-items' },
      formats.map(([f, label]) => h('a', {
        class: 'small', id: `export-${f}`, href: exportURL(id, f), download: `meeting-${id}.${f}`, 'data-ticket': true,
      }, label)),
      h('button', {
        type: 'button', class: 'danger small', id: 'btn-delete-meeting', title: t('record.deleteTitle'),
        onclick: async () => {
          if (!confirm(t('record.deleteConfirm'))) return;
          try {
            await api.deleteMeeting(id);
            location.assign('/');
          } catch (e) {
            alert(t('record.deleteFailed', { error: errorText(e) }));
          }
        },
      }, t('record.delete'))));
}
