// The login form: shown by a page that has no token in its storage. It takes
// the login address the node printed (its #token=…, or an older ?token=) or a
// bare token, stores it (auth.js) and reloads the same address, so a join
// link's #fragment is kept.
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { setToken, tokenWasWrong } from './auth.js';

// tokenOf reads the token out of a pasted login address, or takes the text as the token.
function tokenOf(text) {
  try {
    const u = new URL(text);
    const frag = new URLSearchParams(u.hash.slice(1));
    return frag.get('token') || u.searchParams.get('token') || text;
  } catch {
    return text; // a bare token
  }
}

export function renderLogin(app) {
  document.title = t('login.pageTitle');
  const input = h('input', { id: 'login-token', autocomplete: 'off', required: true, maxlength: '2048' });
  replace(app, h('section', { class: 'card login' },
    h('h1', {}, t('login.title')),
    h('p', { id: 'login-wrong', class: 'error', hidden: !tokenWasWrong() }, t('login.wrong')),
    h('p', {}, t('login.explain'), ' ', h('span', { class: 'mono' }, 'UI: http://127.0.0.1:…/#token=…')),
    h('form', {
      id: 'login-form',
      onsubmit: (e) => {
        e.preventDefault();
        setToken(tokenOf(input.value.trim()));
        location.reload();
      },
    },
    h('label', {}, t('login.field'), ' ', input), ' ',
    h('button', { type: 'submit' }, t('login.submit'))),
    h('p', { class: 'muted small' }, t('login.after'))));
}
