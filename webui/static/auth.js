// The page's credential: the node's API token, kept in this origin's
// localStorage. Storage is bound to scheme, host and port, unlike a cookie,
// which every program on any port of 127.0.0.1 receives; the node accepts the
// token only in the Authorization header (api.js), so nothing a browser sends
// by itself opens the API. The login address carries the token in the
// #fragment (#token=…), which the browser never sends: pickUpToken moves it
// here and takes it out of the address bar and the history entry.
const KEY = 'meshmeet.token';
const WRONG = 'meshmeet.loginWrong';

// pickUpToken stores a token found in the address (#token=, or ?token= from an
// older login address) and removes it from the address, keeping the rest of
// it (a join link's #k=…) exactly as it was.
export function pickUpToken() {
  const strip = (part) => {
    let found = null;
    const kept = part.split('&').filter((kv) => {
      if (!kv.startsWith('token=')) return true;
      found = decodeURIComponent(kv.slice('token='.length).replace(/\+/g, ' '));
      return false;
    });
    return { found, rest: kept.filter((kv) => kv !== '').join('&') };
  };
  const q = strip(location.search.slice(1));
  const f = strip(location.hash.slice(1));
  const tok = f.found ?? q.found;
  if (tok === null) return;
  history.replaceState(history.state, '', location.pathname + (q.rest ? `?${q.rest}` : '') + (f.rest ? `#${f.rest}` : ''));
  setToken(tok);
}

export function setToken(tok) {
  if (tok.trim()) localStorage.setItem(KEY, tok.trim());
}

export function token() {
  return localStorage.getItem(KEY) || '';
}

// forgetToken drops a token the node refused; the login form then says so.
export function forgetToken() {
  localStorage.removeItem(KEY);
  sessionStorage.setItem(WRONG, '1');
}

// tokenWasWrong reports (once) that the last token was refused.
export function tokenWasWrong() {
  const wrong = sessionStorage.getItem(WRONG) === '1';
  sessionStorage.removeItem(WRONG);
  return wrong;
}
