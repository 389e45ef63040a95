const output = document.getElementById('output');
const show = (value, isError) => {
  output.textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  output.className = isError ? 'error' : '';
};
const tokens = () => JSON.parse(sessionStorage.getItem('notebooks-hub-tokens') || 'null');
const saveTokens = value => {
  if (value) sessionStorage.setItem('notebooks-hub-tokens', JSON.stringify(value));
  else sessionStorage.removeItem('notebooks-hub-tokens');
  document.getElementById('signed-in').hidden = !value;
  document.getElementById('signed-out').hidden = !!value;
};

async function api(method, path, body, token) {
  const headers = {'Content-Type': 'application/json'};
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch(path.replace(/^\//, ''), {method, headers, body: body && JSON.stringify(body)});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.statusCode + ' ' + data.error.message : response.statusText);
  return data;
}

const guarded = action => () => action().catch(err => show(err.message, true));

// The state of the sign-in this page started: a code and state it did not start (a link someone
// sent, a login CSRF) are never redeemed, so nobody can sign this browser in as them.
const PENDING = 'notebooks-hub-pending-sign-in';

document.getElementById('sign-in').onclick = guarded(async () => {
  const redirectUri = location.origin + location.pathname;
  const {authorizationUrl} = await api('POST', '/auth/authorize', {redirect_uri: redirectUri});
  sessionStorage.setItem(PENDING, new URL(authorizationUrl).searchParams.get('state'));
  location.assign(authorizationUrl);
});
document.getElementById('whoami').onclick = guarded(async () => show(await api('GET', '/whoami', undefined, tokens().access_token)));
document.getElementById('refresh').onclick = guarded(async () => {
  saveTokens(await api('POST', '/auth/refresh', {refresh_token: tokens().refresh_token}));
  show('Tokens refreshed.');
});
document.getElementById('copy').onclick = guarded(async () => {
  await navigator.clipboard.writeText(tokens().access_token);
  show('Access token copied.');
});
document.getElementById('sign-out').onclick = guarded(async () => {
  const {logoutUrl} = await api('POST', '/auth/logout', {id_token: tokens().id_token});
  saveTokens(null);
  location.assign(logoutUrl);
});

(async () => {
  const params = new URLSearchParams(location.search);
  const pending = sessionStorage.getItem(PENDING);
  if (params.has('code') || params.has('state') || params.has('error')) {
    // The code and state leave the address bar (and the history) at once.
    history.replaceState(null, '', location.pathname);
    sessionStorage.removeItem(PENDING);
  }
  if (params.has('error')) {
    show('Sign-in failed: ' + params.get('error') + ' ' + (params.get('error_description') || ''), true);
  } else if (params.has('code') && params.has('state') && (!pending || params.get('state') !== pending)) {
    show('Ignored a sign-in this page did not start. Click Sign in to sign in.', true);
  } else if (params.has('code') && params.has('state')) {
    const body = {code: params.get('code'), state: params.get('state')};
    if (params.has('iss')) body.iss = params.get('iss');
    saveTokens(await api('POST', '/auth/token', body));
    show(await api('GET', '/whoami', undefined, tokens().access_token));
    return;
  }
  saveTokens(tokens());
})().catch(err => show(err.message, true));
