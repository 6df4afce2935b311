// Chat panel: history, live messages, send box. New messages are inserted
// where they belong (usually appended), never by rebuilding the list; text
// goes in as text nodes, with http(s) links made links. Enter sends,
// Shift+Enter breaks the line. Messages that arrive while the panel is
// hidden, off screen or scrolled up are counted as unread. The list is a
// role=log: screen readers read the lines added, not the list; the history
// a load brings is marked busy so it is not read out. Lines off screen are
// not laid out (content-visibility), so 5,000 lines stay smooth.
import { api, fileURL } from './api.js';
import { h, replace, fmtTime, shortId, toast } from './dom.js';
import { icon } from './icons.js';
import { t, errorText } from './i18n.js';
import { list, messageKey, messageSender, messageTime, compareMessages } from './model.js';

// Keep in step with mesh.MaxFile.
const maxFile = 64 << 20;

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

const URLS = /\bhttps?:\/\/[^\s<>"']+/gi;

// linkify turns text into text nodes and links: only http and https
// addresses, opened in a new tab without access to this page.
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of String(text).matchAll(URLS)) {
    let raw = m[0];
    const trail = /[.,;:!?)\]}]+$/.exec(raw); // sentence punctuation after a link
    if (trail) raw = raw.slice(0, -trail[0].length);
    let url;
    try { url = new URL(raw); } catch { continue; }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (m.index > last) out.push(String(text).slice(last, m.index));
    out.push(h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, raw));
    last = m.index + raw.length;
  }
  if (last < String(text).length) out.push(String(text).slice(last));
  return out;
}

/**
 * createChat builds the chat panel. onToggle(open) asks the page to show or
 * hide it (the page calls setOpen); onUnread(n) follows the unread count.
 * @param {string} meetingId
 * @param {(id: string) => string} names
 * @param {{onToggle?: (open: boolean) => void, onUnread?: (n: number) => void}} [opts]
 */
export function createChat(meetingId, names, { onToggle, onUnread = () => {} } = {}) {
  const items = []; // messages in order, each {key, msg, li, who}
  const byKey = new Map();
  const listEl = h('ol', { class: 'chat-list', id: 'chat-list', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0', 'aria-label': t('chat.title') });
  const input = h('textarea', { name: 'text', rows: '1', maxlength: '4000', placeholder: t('chat.placeholder'), 'aria-label': t('chat.placeholder'), required: true, onkeydown: onKey, onbeforeinput: onBeforeInput, oninput: grow });
  const send = h('button', { type: 'submit' }, t('chat.send'));
  const picker = h('input', { type: 'file', class: 'chat-file-input', multiple: true, onchange: onPick });
  const attach = h('button', { type: 'button', class: 'secondary chat-attach', title: t('chat.attachTitle'),
    'aria-label': t('chat.attach'), onclick: () => picker.click() }, icon('attach'));
  const form = h('form', { class: 'chat-send', onsubmit: onSend }, attach, input, send, picker);
  const badge = h('span', { class: 'badge unread', id: 'chat-unread', hidden: true });
  const jump = h('button', { type: 'button', class: 'secondary small chat-jump', id: 'chat-jump', hidden: true, onclick: () => { showLatest(); } });
  const toggle = h('button', { type: 'button', class: 'link small', id: 'chat-toggle', 'aria-expanded': 'true', 'aria-controls': 'chat-body', onclick: () => (onToggle ? onToggle(body.hidden) : setOpen(body.hidden)) }, t('chat.hide'));
  const body = h('div', { class: 'chat-body', id: 'chat-body' }, listEl, jump, form);
  const el = h('section', { class: 'card chat', 'aria-labelledby': 'chat-title' },
    h('div', { class: 'row between' }, h('h2', { id: 'chat-title' }, t('chat.title'), ' ', badge), toggle), body);
  let lastKey = '';
  let unread = 0;
  let loaded = false; // history read once: later messages can be unread
  let onScreen = true;

  let plainEnter = false; // the last key was Enter without Shift: it sends, it never breaks the line
  function onKey(e) {
    plainEnter = e.key === 'Enter' && !e.shiftKey && !e.isComposing;
    if (plainEnter) {
      e.preventDefault();
      form.requestSubmit();
    }
  }

  // onBeforeInput drops the line break of a plain Enter wherever the key event
  // did not stop it (some input paths insert it after a cancelled keydown).
  function onBeforeInput(e) {
    if (plainEnter && (e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph')) e.preventDefault();
  }

  function grow() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  }

  async function onSend(e) {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || send.disabled) return;
    send.disabled = true;
    input.value = ''; // at once: what is typed while it goes out is kept
    grow();
    try {
      add(await api.postMessage(meetingId, text));
      showLatest();
    } catch (err) {
      if (!input.value) input.value = text; // not sent: keep it to try again
      grow();
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

  const atBottom = () => listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
  // stuck: the list follows new messages. Only the person's scrolling changes it, not
  // the geometry at the moment a message arrives: lines off screen are sized by
  // estimate (content-visibility), so the bottom moves once new lines are laid out.
  let stuck = true;
  let lastTop = 0;
  let restick = false; // a stick-again is due in the next frame
  // follow: scrolling up lets go of the bottom, reaching it again holds it; lines
  // growing below (laid out late) move neither scrollTop nor the choice. Also run when
  // messages arrive, as the scroll event may not have been dispatched yet.
  const follow = () => {
    if (atBottom()) stuck = true;
    else if (listEl.scrollTop < lastTop - 2) stuck = false;
    lastTop = listEl.scrollTop;
  };
  // seeing: the person can see the newest message right now.
  const seeing = () => !body.hidden && onScreen && !document.hidden && stuck;
  const toBottom = () => {
    listEl.scrollTop = listEl.scrollHeight;
    lastTop = listEl.scrollTop;
    // Again once the new lines are laid out (scroll events run before this callback, so
    // a scroll away in between wins).
    if (restick) return;
    restick = true;
    requestAnimationFrame(() => {
      restick = false;
      if (!stuck || body.hidden) return;
      listEl.scrollTop = listEl.scrollHeight;
      lastTop = listEl.scrollTop;
    });
  };

  function item(msg) {
    const from = messageSender(msg);
    const who = h('strong', {}, names(from) || shortId(from) || t('common.someone'));
    const li = h('li', {},
      h('div', { class: 'chat-meta' }, who, h('time', { class: 'muted small' }, fmtTime(messageTime(msg)))),
      msg.text ? h('div', { class: 'chat-text' }, linkify(msg.text)) : null,
      msg.file ? h('a', { class: 'chat-file', href: fileURL(meetingId, msg.file.sha256), download: msg.file.name, 'data-ticket': true },
        icon('file'), ` ${msg.file.name}`, h('span', { class: 'muted small' }, ` ${fmtSize(msg.file.size)}`)) : null);
    return { key: String(messageKey(msg)), msg, li, who, from };
  }

  // add inserts new messages at their place; a page of history stays one batch.
  function add(...msgs) {
    follow(); // before the new lines count in the geometry
    let fresh = 0;
    for (const msg of msgs) {
      if (!msg || typeof msg !== 'object') continue;
      const it = item(msg);
      if (byKey.has(it.key)) continue;
      byKey.set(it.key, it);
      let i = items.length;
      while (i > 0 && compareMessages(items[i - 1].msg, msg) > 0) i--;
      listEl.insertBefore(it.li, items[i]?.li ?? null);
      items.splice(i, 0, it);
      fresh++;
    }
    if (!fresh) return;
    lastKey = String(items[items.length - 1].msg.id ?? '');
    if (stuck && !body.hidden) toBottom();
    if (!seeing() && loaded) setUnread(unread + fresh);
  }

  function setUnread(n) {
    unread = n;
    badge.hidden = n === 0;
    badge.textContent = String(n);
    badge.setAttribute('aria-label', t('chat.unread', { n }));
    jump.hidden = n === 0 || body.hidden;
    jump.textContent = t('chat.jump', { n });
    onUnread(n);
  }

  function showLatest() {
    stuck = true;
    toBottom();
    setUnread(0);
  }

  function setOpen(open) {
    body.hidden = !open;
    toggle.textContent = t(open ? 'chat.hide' : 'chat.show');
    toggle.setAttribute('aria-expanded', String(open));
    if (open) showLatest();
  }

  const seen = () => { if (seeing()) setUnread(0); };
  listEl.addEventListener('scroll', () => { follow(); seen(); });
  document.addEventListener('visibilitychange', seen);
  if (typeof IntersectionObserver !== 'undefined') {
    new IntersectionObserver((es) => { onScreen = es.some((e) => e.isIntersecting); seen(); }).observe(listEl);
  }

  // rerender updates the senders' names in place (participants became known).
  function rerender() {
    for (const it of items) {
      const name = names(it.from) || shortId(it.from) || t('common.someone');
      if (it.who.textContent !== name) it.who.textContent = name;
    }
  }

  // load fetches history, or what came after the last message seen
  // (after a reconnect), page by page. History is not unread.
  async function load() {
    listEl.setAttribute('aria-busy', 'true');
    try {
      for (let i = 0; i < 20; i++) {
        const page = list(await api.messages(meetingId, { after: lastKey, limit: 500 }), 'messages');
        add(...page);
        if (page.length < 500) break;
      }
    } catch (err) {
      toast(t('common.prefixed', { what: t('chat.history'), msg: errorText(err) }), true);
    }
    listEl.setAttribute('aria-busy', 'false');
    if (!loaded) showLatest();
    loaded = true;
  }

  return {
    el,
    load,
    add,
    rerender,
    setOpen,
    get open() { return !body.hidden; },
    get unread() { return unread; },
    input,
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
