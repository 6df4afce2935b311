// Entry point: the language, the token (or the login form), then the page
// from the path.
import { api, followTicketLinks } from './api.js';
import { pickUpToken, token } from './auth.js';
import { renderLogin } from './login.js';
import { renderHome } from './home.js';
import { renderMeeting } from './meeting.js';
import { h, replace, shortId, toast } from './dom.js';
import { t, localize, langSelect, errorText } from './i18n.js';
import { themeSelect } from './theme.js';

async function showNodeBadge() {
  try {
    const node = await api.node();
    const badge = document.getElementById('node-badge');
    badge.textContent = `${node?.name || t('node.this')} · ${shortId(node?.peerId)}`;
    badge.title = node?.peerId || '';
    nodeBanners(node);
  } catch { /* home page shows the error */ }
}

// nodeBanners warns of what only the node can see: its clock is too far
// off from its peers' (ahead, it cannot post), or another node runs with
// its identity (a copied data dir). Both are checked again every half minute.
function nodeBanners(node) {
  let box = document.getElementById('node-banners');
  if (!box) {
    box = h('div', { id: 'node-banners', role: 'status' });
    document.getElementById('app').before(box);
  }
  const items = [];
  const c = node?.clock;
  if (c?.skewed) {
    const secs = Math.round(Math.abs(c.offsetMs || 0) / 1000);
    items.push(h('p', { class: 'banner warn', id: 'banner-clock' }, t(c.ahead ? 'banner.clockAhead' : 'banner.clockBehind', { secs })));
  }
  if (node?.identityClash) {
    items.push(h('p', { class: 'banner warn', id: 'banner-identity' }, t('banner.identityClash', { peer: shortId(node.peerId) })));
  }
  replace(box, ...items);
}

// notFound: a path the app has no page for.
function notFound(app) {
  document.title = t('notfound.title');
  replace(app, h('section', { class: 'card', id: 'not-found' },
    h('h1', {}, t('notfound.title')),
    h('p', {}, t('notfound.text')),
    h('p', {}, h('a', { href: '/' }, t('common.backHome')))));
}

function route() {
  localize();
  document.title = 'meshmeet';
  document.getElementById('lang-slot').append(langSelect(() => {
    // The meeting room comes back without a second pre-join step (see meeting.js).
    if (window.meshmeet?.meetingId) sessionStorage.setItem('meshmeet.relang', window.meshmeet.meetingId);
    location.reload();
  }));
  document.getElementById('lang-slot').append(themeSelect());
  const app = document.getElementById('app');
  pickUpToken();
  // A login address opened over this very page changes only the #fragment.
  window.addEventListener('hashchange', () => {
    if (/[#&]token=/.test(location.hash)) {
      pickUpToken();
      location.reload();
    }
  });
  if (!token()) {
    renderLogin(app);
    return;
  }
  followTicketLinks((e) => toast(errorText(e), true));
  const match = location.pathname.match(/^\/m\/([^/]+)$/);
  showNodeBadge();
  setInterval(() => { if (!document.hidden) showNodeBadge(); }, 30000);
  if (match) renderMeeting(app, decodeURIComponent(match[1]));
  else if (location.pathname === '/') renderHome(app);
  else notFound(app);
}

route();
