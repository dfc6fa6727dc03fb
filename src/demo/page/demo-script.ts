/**
 * The demo page's script, a browser module served as /demo/demo.js. It is kept here as text (it
 * runs in the browser, not in Node, and has no build step); it uses neither backticks nor `${`.
 *
 * It talks to the REST API of the same origin: phone codes, email login, the start of an OpenID
 * Connect login (which comes back to this page with the token in the URL fragment), GET /v1/me and
 * logout. The token stays in sessionStorage: this tab only, gone when it closes.
 */
export const DEMO_SCRIPT = String.raw`const TOKEN_KEY = 'mesibo-demo-token';
const byId = (id) => document.getElementById(id);

/** A refused request, described from its problem+json answer (detail, code, errors, Retry-After). */
class ApiProblem extends Error {
  constructor(status, body, retryAfter) {
    const detail = body && typeof body.detail === 'string' ? body.detail : 'The request failed (HTTP ' + status + ').';
    const parts = [detail];
    if (body && Array.isArray(body.errors) && body.errors.length > 0) parts.push(body.errors.join('; ') + '.');
    if (retryAfter) parts.push('Try again in ' + retryAfter + ' s.');
    super(parts.join(' '));
    this.status = status;
    this.code = body && typeof body.code === 'string' ? body.code : undefined;
  }
}

async function api(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = 'Bearer ' + options.token;
  const res = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiProblem(res.status, data, res.headers.get('Retry-After'));
  return data;
}

function say(text, kind) {
  const message = byId('message');
  message.textContent = text;
  message.className = kind;
  message.hidden = false;
}

function sayError(error) {
  const code = error instanceof ApiProblem && error.code ? ' (' + error.code + ')' : '';
  say((error instanceof Error ? error.message : String(error)) + code, 'error');
}

function quiet() {
  byId('message').hidden = true;
}

const appid = () => byId('appid').value.trim();
const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
const when = (iso) => new Date(iso).toLocaleString();

/** Runs a form's request with its button disabled; errors are shown, not thrown. */
function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    quiet();
    try {
      await action();
    } catch (error) {
      sayError(error);
    } finally {
      button.disabled = false;
    }
  });
}

async function loggedIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  await showAccount(token);
}

function showLogin() {
  byId('account').hidden = true;
  byId('login').hidden = false;
  byId('code-form').hidden = true;
}

async function showAccount(token) {
  let me;
  try {
    me = await api('GET', '/v1/me', { token });
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401) throw error;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
    say('That session has ended: log in again.', 'info');
    return;
  }
  byId('me-id').textContent = me.id;
  byId('me-address').textContent = me.address;
  byId('me-name').textContent = me.displayName || '(none)';
  const rows = me.identities.map((identity) => {
    const row = document.createElement('tr');
    for (const value of [identity.method, identity.subject, identity.verified ? 'yes' : 'no']) {
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(cell);
    }
    return row;
  });
  byId('me-identities').replaceChildren(...rows);
  byId('me-appid').textContent = me.session.appid;
  byId('me-started').textContent = when(me.session.createdAt);
  byId('me-expires').textContent = when(me.session.expiresAt);
  byId('me-token').textContent = token;
  byId('login').hidden = true;
  byId('account').hidden = false;
}

function setUpPhone() {
  let sentTo;
  onSubmit(byId('phone-form'), async () => {
    const sent = await api('POST', '/v1/auth/otp', { body: { phone: byId('phone').value.trim(), appid: appid() } });
    sentTo = sent.phone;
    byId('code-form').hidden = false;
    byId('otp').value = '';
    byId('otp').focus();
    say('A code was sent to ' + sent.phone + '. It works until ' + when(sent.expiresAt) + '.', 'info');
  });
  onSubmit(byId('code-form'), async () => {
    const login = await api('POST', '/v1/auth/otp/verify', { body: { phone: sentTo, appid: appid(), otp: byId('otp').value.trim() } });
    await loggedIn(login.token);
  });
  byId('phone-login').hidden = false;
}

function setUpEmail() {
  onSubmit(byId('email-form'), async () => {
    const body = { email: byId('email').value.trim(), password: byId('password').value, appid: appid() };
    const login = await api('POST', '/v1/auth/email/login', { body });
    byId('password').value = '';
    await loggedIn(login.token);
  });
  byId('email-login').hidden = false;
}

/**
 * One link per provider, to the start of its web login. The provider sends the browser back here
 * only when this page is one of OIDC_RETURN_URLS; otherwise the login ends on the JSON answer.
 */
function setUpOidc(oidc) {
  const here = location.origin + location.pathname.replace(/\/+$/, '');
  const comesBack = oidc.returnUrls.includes(here);
  const links = oidc.providers.map((name) => {
    const link = document.createElement('a');
    link.className = 'button';
    link.textContent = 'Log in with ' + name;
    link.dataset.provider = name;
    const item = document.createElement('li');
    item.append(link);
    return item;
  });
  byId('oidc-providers').replaceChildren(...links);
  const updateLinks = () => {
    for (const link of byId('oidc-providers').querySelectorAll('a')) {
      const query = new URLSearchParams({ appid: appid() });
      if (comesBack) query.set('return_to', here);
      link.href = '/v1/auth/oidc/' + encodeURIComponent(link.dataset.provider) + '?' + query.toString();
    }
  };
  updateLinks();
  byId('appid').addEventListener('input', updateLinks);
  if (!comesBack) {
    const note = byId('oidc-note');
    note.textContent = 'To come back to this page after logging in, add ' + here + ' to OIDC_RETURN_URLS.';
    note.hidden = false;
  }
  byId('oidc-login').hidden = oidc.providers.length === 0;
}

/** The end of a web login: #token=…&expires_at=…&address=…, or #error=<code>. */
function takeWebLoginResult() {
  if (!location.hash) return undefined;
  const fields = new URLSearchParams(location.hash.slice(1));
  // Out of the address bar and the history before anything else.
  history.replaceState(null, '', location.pathname + location.search);
  if (fields.has('error')) {
    say('The single sign-on login failed (' + fields.get('error') + ').', 'error');
    return undefined;
  }
  return fields.get('token') || undefined;
}

byId('logout').addEventListener('click', async () => {
  const token = storedToken();
  sessionStorage.removeItem(TOKEN_KEY);
  try {
    if (token) await api('POST', '/v1/auth/logout', { token });
    showLogin();
    say('Logged out.', 'info');
  } catch (error) {
    showLogin();
    sayError(error);
  }
});

async function start() {
  const logins = await api('GET', '/demo/config.json');
  if (logins.phone) setUpPhone();
  if (logins.email) setUpEmail();
  setUpOidc(logins.oidc);
  const fromWebLogin = takeWebLoginResult();
  if (fromWebLogin) sessionStorage.setItem(TOKEN_KEY, fromWebLogin);
  const token = storedToken();
  if (token) await showAccount(token);
  else showLogin();
}

start().catch((error) => {
  showLogin();
  sayError(error);
});
`;
