// Chat panel: history, live messages, send box.
import { api } from './api.js';
import { h, replace, fmtTime, shortId, toast } from './dom.js';
import { list, messageKey, messageSender, messageTime, compareMessages } from './model.js';

export function createChat(meetingId, names) {
  const seen = new Map(); // key -> message
  const listEl = h('ol', { class: 'chat-list', 'aria-live': 'polite' });
  const input = h('input', { name: 'text', autocomplete: 'off', maxlength: '4000', placeholder: 'Message everyone', required: true });
  const send = h('button', { type: 'submit' }, 'Send');
  const form = h('form', { class: 'chat-send', onsubmit: onSend }, input, send);
  const el = h('section', { class: 'card chat' }, h('h2', {}, 'Chat'), listEl, form);
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
      toast(err.message, true);
    } finally {
      send.disabled = false;
      input.focus();
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
          h('strong', {}, names(from) || shortId(from) || 'someone'),
          h('time', { class: 'muted small' }, fmtTime(messageTime(msg)))),
        h('div', { class: 'chat-text' }, msg.text ?? ''));
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
      toast(`Chat history: ${err.message}`, true);
    }
  }

  return {
    el,
    load,
    add,
    rerender: render,
    disable(reason) {
      input.disabled = true;
      send.disabled = true;
      input.placeholder = reason;
    },
  };
}
