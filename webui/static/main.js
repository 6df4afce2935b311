// Entry point: picks the page from the path.
import { api } from './api.js';
import { renderHome } from './home.js';
import { renderMeeting } from './meeting.js';
import { shortId } from './dom.js';

async function showNodeBadge() {
  try {
    const node = await api.node();
    const badge = document.getElementById('node-badge');
    badge.textContent = `${node?.name || 'this node'} · ${shortId(node?.peerId)}`;
    badge.title = node?.peerId || '';
  } catch { /* home page shows the error */ }
}

function route() {
  const app = document.getElementById('app');
  const match = location.pathname.match(/^\/m\/([^/]+)$/);
  showNodeBadge();
  if (match) renderMeeting(app, decodeURIComponent(match[1]));
  else renderHome(app);
}

route();
