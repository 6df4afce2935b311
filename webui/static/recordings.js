// Recordings panel: the files this node recorded of the meeting, to
// download. Hidden while there are none.
import { h, replace, fmtTime } from './dom.js';
import { api, recordingURL } from './api.js';
import { icon } from './icons.js';
import { t } from './i18n.js';

export function createRecordings(id, nameOf) {
  const listEl = h('ul', { class: 'recordings', id: 'recordings-list' });
  const el = h('section', { class: 'card recordings-card', hidden: true },
    h('h2', {}, t('recordings.title')), listEl);

  /** @type {Record<string, string>} names the meeting's log gives, those who left too */
  let names = {};

  // label turns "<start>/<peer>-<source>.<ext>" into words.
  function label(path) {
    const [, file = path] = path.split('/');
    const m = /^(.+)-(mic|camera|screen)(?:-(\d+))?\.(\w+)$/.exec(file);
    if (!m) return file;
    const what = t(`recordings.${m[2]}`);
    return `${names[m[1]] || nameOf(m[1]) || m[1].slice(-6)} · ${what}${m[3] ? ` (${m[3]})` : ''}`;
  }

  function render(list) {
    const files = list?.files || [];
    names = list?.names || {};
    el.hidden = files.length === 0;
    replace(listEl, files.map((f) => h('li', {},
      h('a', { class: 'recording-file', href: recordingURL(id, f.path), download: f.path.replace('/', '-'), 'data-ticket': true },
        icon('file'), ` ${label(f.path)}`),
      h('span', { class: 'muted small' }, ` ${fmtTime(f.modified)} · ${(f.size / (1 << 20)).toFixed(1)} MB`))));
  }

  async function load() {
    try { render(await api.recordings(id)); } catch { /* not known here yet */ }
  }
  return { el, load };
}
