// Client for the node's local API (DESIGN.md §5). Every call carries the
// token from this origin's storage (auth.js) as 'Authorization: Bearer';
// no cookie is sent or needed. What the browser fetches without a header
// (downloads, the events WebSocket) gets a ticket first: one URL, once, soon.
// Errors carry the node's stable code; errorText (i18n.js) words them.
import { t } from './i18n.js';
import { token, forgetToken } from './auth.js';

const authHeaders = () => ({ Accept: 'application/json', Authorization: `Bearer ${token()}` });

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  /** @type {RequestInit & {headers: Record<string, string>}} */
  const opts = { method, credentials: 'omit', headers: authHeaders() };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', t('error.network'));
  }
  return answer(res);
}

async function answer(res) {
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401) {
    // The node refused the token (a wrong one, or the node has a new one):
    // reloading shows the login form, which says so and brings the browser back here.
    forgetToken();
    location.reload();
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.code || `http_${res.status}`,
      data?.error || t('error.http', { status: res.status }));
  }
  return data;
}

const m = (id) => `/api/meetings/${encodeURIComponent(id)}`;

// recordingURL downloads one recorded track (a path from the recordings list).
export const recordingURL = (id, path) => `${m(id)}/recordings/${path.split('/').map(encodeURIComponent).join('/')}`;

// The *URL functions give the href of a download link: such a link also needs
// data-ticket, so that a click fetches it with a ticket (see download).

// fileURL downloads a file shared in the meeting.
export const fileURL = (id, sha) => `${m(id)}/files/${encodeURIComponent(sha)}`;

// shareFile uploads a File from an <input type=file> into the meeting's chat.
async function shareFile(id, file) {
  const q = new URLSearchParams({ name: file.name });
  let res;
  try {
    res = await fetch(`${m(id)}/files?${q}`, {
      method: 'POST', credentials: 'omit', body: file,
      headers: { ...authHeaders(), 'Content-Type': file.type || 'application/octet-stream' },
    });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  return answer(res);
}

// exportURL downloads the meeting's record (format md, html or json).
export const exportURL = (id, format) => `${m(id)}/export?format=${encodeURIComponent(format)}`;

// calendarURL is the meeting's .ics file.
export const calendarURL = (id) => `${m(id)}/calendar.ics`;

// ticketed returns url with a fresh ticket that opens it once (POST /api/tickets).
async function ticketed(url) {
  const res = await request('POST', '/api/tickets', { url });
  return res.url;
}

// download saves what a download link points to: the page cannot put its
// header on a navigation, so it asks for a ticket and follows the link with it.
export async function download(href, name) {
  const a = document.createElement('a');
  a.href = await ticketed(href);
  a.download = name || '';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

// followTicketLinks makes every link marked data-ticket download through download().
export function followTicketLinks(onError) {
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[data-ticket]') : null;
    if (!a || e.button !== 0) return;
    e.preventDefault();
    download(a.getAttribute('href'), a.getAttribute('download')).catch(onError);
  });
}

export const api = {
  node: () => request('GET', '/api/node'),
  meetings: () => request('GET', '/api/meetings'),
  meeting: (id) => request('GET', m(id)),
  create: (meeting) => request('POST', '/api/meetings', meeting),
  join: (joinUrl) => request('POST', '/api/meetings/join', { joinUrl }),
  leave: (id) => request('POST', `${m(id)}/leave`),
  end: (id) => request('POST', `${m(id)}/end`),
  messages: (id, { after = '', limit = 100 } = {}) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (after) q.set('after', after);
    return request('GET', `${m(id)}/messages?${q}`);
  },
  postMessage: (id, text) => request('POST', `${m(id)}/messages`, { text }),
  shareFile,
  participants: (id) => request('GET', `${m(id)}/participants`),
  setState: (id, state) => request('POST', `${m(id)}/state`, state),
  setRole: (id, peerId, role) => request('POST', `${m(id)}/role`, { peerId, role }),
  lobby: (id) => request('GET', `${m(id)}/lobby`),
  admit: (id, peerId) => request('POST', `${m(id)}/admit`, { peerId }),
  deny: (id, peerId) => request('POST', `${m(id)}/deny`, { peerId }),
  remove: (id, peerId) => request('POST', `${m(id)}/remove`, { peerId }),
  mute: (id, peerId) => request('POST', `${m(id)}/mute`, { peerId }),
  setRecording: (id, on) => request('POST', `${m(id)}/recording`, { on }),
  update: (id, fields) => request('PATCH', m(id), fields),
  extend: (id, minutes) => request('POST', `${m(id)}/extend`, { minutes }),
  rekey: (id) => request('POST', `${m(id)}/rekey`),
  recordings: (id) => request('GET', `${m(id)}/recordings`),
  deleteMeeting: (id) => request('DELETE', m(id)),
  media: (id) => request('GET', `${m(id)}/media`),
  audit: (id) => request('GET', `${m(id)}/audit`),
  // setName changes the name others see from now on; the node keeps it.
  setName: (name) => request('PUT', '/api/node/name', { name }),
  // react shows one of 👍 👏 😂 🎉 ❤️ 😮 to everyone in the meeting (not kept).
  react: (id, emoji) => request('POST', `${m(id)}/reactions`, { emoji }),
};

// openEvents connects to the meeting's event WebSocket (with a ticket in its
// address: a browser cannot put a header on a WebSocket) and reconnects with
// backoff, each time with a new ticket, until close() is called. onEvent gets each {type, data};
// onStatus gets 'open' | 'closed'. send(obj) sends a client message
// (media signalling later).
/**
 * @param {string} id
 * @param {(ev: {type: string, data?: any}) => void} onEvent
 * @param {(st: string) => void} [onStatus]
 */
export function openEvents(id, onEvent, onStatus = () => {}) {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const base = `${proto}://${location.host}`;
  let ws = null;
  let closed = false;
  let delay = 500;
  let timer = null;

  function retry() {
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  }

  async function connect() {
    let path;
    try {
      path = await ticketed(`${m(id)}/events`);
    } catch {
      onStatus('closed');
      if (!closed) retry();
      return;
    }
    if (closed) return;
    ws = new WebSocket(base + path);
    ws.onopen = () => { delay = 500; onStatus('open'); };
    ws.onmessage = (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch { return; }
      if (ev && typeof ev.type === 'string') onEvent(ev);
    };
    ws.onclose = () => {
      onStatus('closed');
      if (!closed) retry();
    };
  }
  connect();

  return {
    send(obj) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) ws.close(1000, 'page closed');
    },
  };
}
