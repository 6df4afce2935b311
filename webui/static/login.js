// The login page: shown to a browser without the node's token cookie. It sends
// the pasted token (or the token of a pasted login address) to this same page
// as ?token=, keeping the #fragment of a join link, so the node sets the cookie
// and redirects back here.
import { t, localize, langSelect } from './i18n.js';

localize();
document.title = t('login.pageTitle');
document.getElementById('lang-slot').append(langSelect(() => { localize(); document.title = t('login.pageTitle'); }));
const wrong = document.getElementById('login-wrong');
wrong.hidden = !new URLSearchParams(location.search).has('token');

document.getElementById('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  let token = document.getElementById('login-token').value.trim();
  try {
    const pasted = new URL(token);
    if (pasted.searchParams.has('token')) token = pasted.searchParams.get('token');
  } catch {
    // a bare token
  }
  location.assign(location.pathname + '?token=' + encodeURIComponent(token) + location.hash);
});
