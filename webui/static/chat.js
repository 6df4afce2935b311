// Chat panel: history, live messages, send box.
import { api, fileURL } from './api.js';
import { h, replace, fmtTime, shortId, toast } from './dom.js';
import { icon } from './icons.js';
import { t, errorText } from './i18n.js';

// Keep in step with mesh.MaxFile.
const maxFile = 64 << 20;

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}
import { list, messageKey, messageSender, messageTime, compareMessages } from './model.js';

export function createChat(meetingId, names) {
  const seen = new Map(); // key -> message
  const listEl = h('ol', { class: 'chat-list', 'aria-live': 'polite' });
  const input = h('input', { name: 'text', autocomplete: 'off', maxlength: '4000', placeholder: t('chat.placeholder'), 'aria-label': t('chat.placeholder'), required: true });
  const send = h('button', { type: 'submit' }, t('chat.send'));
  const picker = h('input', { type: 'file', class: 'chat-file-input', multiple: true, onchange: onPick });
  const attach = h('button', { type: 'button', class: 'secondary chat-attach', title: t('chat.attachTitle'),
    'aria-label': t('chat.attach'), onclick: () => picker.click() }, icon('attach'));
  const form = h('form', { class: 'chat-send', onsubmit: onSend }, attach, input, send, picker);
  const el = h('section', { class: 'card chat' }, h('h2', {}, t('chat.title')), listEl, form);
  let lastKey = '';

  async function onSend(e) {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    send.disabled = true;
    try {
      add(await api.postMessage(meetingId, text));
      input.value = '';
    } catch (err) {
      toast(errorText(err), true);
    } finally {
      send.disabled = false;
      input.focus();
    }
  }

  async function onPick() {
    const files = [...picker.files];
    picker.value = '';
    for (const file of files) {
      if (file.size > maxFile) {
        toast(t('chat.fileTooLarge', { name: file.name }), true);
        continue;
      }
      attach.disabled = true;
      toast(t('chat.sharing', { name: file.name }));
      try {
        add(await api.shareFile(meetingId, file));
      } catch (err) {
        toast(t('common.prefixed', { what: file.name, msg: errorText(err) }), true);
      } finally {
        attach.disabled = false;
      }
    }
  }

  function add(...msgs) {
    let changed = false;
    for (const msg of msgs) {
      if (!msg || typeof msg !== 'object') continue;
      const k = String(messageKey(msg));
      if (seen.has(k)) continue;
      seen.set(k, msg);
      changed = true;
    }
    if (changed) render();
  }

  function render() {
    const all = [...seen.values()].sort(compareMessages);
    if (all.length) lastKey = String(all[all.length - 1].id ?? '');
    const atBottom = listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
    replace(listEl, all.map((msg) => {
      const from = messageSender(msg);
      return h('li', {},
        h('div', { class: 'chat-meta' },
          h('strong', {}, names(from) || shortId(from) || t('common.someone')),
          h('time', { class: 'muted small' }, fmtTime(messageTime(msg)))),
        msg.text ? h('div', { class: 'chat-text' }, msg.text) : null,
        msg.file ? h('a', { class: 'chat-file', href: fileURL(meetingId, msg.file.sha256), download: msg.file.name },
          icon('file'), ` ${msg.file.name}`, h('span', { class: 'muted small' }, ` ${fmtSize(msg.file.size)}`)) : null);
    }));
    if (atBottom) listEl.scrollTop = listEl.scrollHeight;
  }

  // load fetches history, or what came after the last message seen
  // (after a reconnect), page by page.
  async function load() {
    try {
      for (let i = 0; i < 20; i++) {
        const page = list(await api.messages(meetingId, { after: lastKey, limit: 500 }), 'messages');
        add(...page);
        if (page.length < 500) break;
      }
    } catch (err) {
      toast(t('common.prefixed', { what: t('chat.history'), msg: errorText(err) }), true);
    }
  }

  return {
    el,
    load,
    add,
    rerender: render,
    // readOnly: the history only, no send box (an ended meeting's record).
    readOnly() {
      form.hidden = true;
    },
    disable(reason) {
      input.disabled = true;
      send.disabled = true;
      attach.disabled = true;
      input.placeholder = reason;
    },
  };
}
