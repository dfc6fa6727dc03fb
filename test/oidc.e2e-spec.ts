import { generateKeyPair, JWTPayload, KeyLike, SignJWT } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { BrowserPage, TestBrowser } from './support/oidc-browser';
import { startTestProvider, TestProvider } from './support/oidc-provider-process';
import { startTestApp, TestApp } from './support/test-app';

/** The service's public URL; the test browser resolves its host to the app under test. */
const PUBLIC_HOST = 'mesibo-backend.test';
const PUBLIC_URL = `http://${PUBLIC_HOST}`;
const APPID = 'com.mesibo.firstapp';
const RETURN_URL = 'https://chat.example.com/login-done';
const WEB = { clientId: 'mesibo-backend', clientSecret: 'web-client-secret-0123456789' };
const MOBILE = { clientId: 'mesibo-android', redirectUri: 'com.example.mobile:/oauth2redirect' };
const GITHUB = { clientId: 'github-client', clientSecret: 'github-secret-0123456789' };
const GITHUB_USER = { id: 123, login: 'octocat', name: 'The Octocat', email: 'octocat@github.example' };
/** The nonce the tests' apps put in the ID tokens they sign. */
const NONCE = 'nonce-of-the-app';

const callbackUrl = (provider: string) => `${PUBLIC_URL}/v1/auth/oidc/${provider}/callback`;

describe('OpenID Connect and OAuth2 login (oidc-provider 8 in its own process)', () => {
  let idp: TestProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startTestProvider({
      web: { ...WEB, redirectUris: [callbackUrl('corp'), callbackUrl('mail')] },
      mobile: MOBILE,
      github: { ...GITHUB, redirectUri: callbackUrl('github'), user: GITHUB_USER },
    });
    const webClient = { CLIENT_ID: WEB.clientId, CLIENT_SECRET: WEB.clientSecret };
    t = await startTestApp({
      OIDC_PROVIDERS: 'corp,mail,github,down',
      OIDC_CALLBACK_BASE_URL: PUBLIC_URL,
      OIDC_RETURN_URLS: RETURN_URL,
      ...prefixed('OIDC_CORP_', { ...webClient, ISSUER: idp.issuer, AUDIENCES: MOBILE.clientId }),
      // The same provider again, where the owner lets verified emails be mesibo addresses, and
      // does not require a nonce in ID tokens from apps.
      ...prefixed('OIDC_MAIL_', { ...webClient, ISSUER: idp.issuer, EMAIL_AS_ADDRESS: 'true', REQUIRE_NONCE: 'false' }),
      ...prefixed('OIDC_GITHUB_', {
        TYPE: 'oauth2',
        CLIENT_ID: GITHUB.clientId,
        CLIENT_SECRET: GITHUB.clientSecret,
        AUTHORIZATION_URL: `${idp.issuer}/github/login/oauth/authorize`,
        TOKEN_URL: `${idp.issuer}/github/login/oauth/access_token`,
        USERINFO_URL: `${idp.issuer}/github/user`,
        SCOPES: 'read:user',
        EMAIL_AS_ADDRESS: 'true',
      }),
      ...prefixed('OIDC_DOWN_', { ...webClient, ISSUER: `http://127.0.0.1:${await closedPort()}` }),
    });
  });

  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const api = () => request(t.url);

  function expectProblem(res: request.Response, status: number, code: string) {
    expect({ status: res.status, type: res.headers['content-type'], code: res.body.code }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
      code,
    });
  }

  /** A browser that reaches the service at its public URL; optionally stopping before our callback. */
  function browser(options: { stopAtCallback?: boolean } = {}): TestBrowser {
    return new TestBrowser({ [PUBLIC_HOST]: t.url }, (url) =>
      Boolean(options.stopAtCallback) && url.host === PUBLIC_HOST && url.pathname.endsWith('/callback'),
    );
  }

  /** A whole web login: our start URL, the provider's login form and consent screen, back to our callback. */
  async function webLogin(provider: string, login: string, query: Record<string, string> = {}): Promise<BrowserPage> {
    const b = browser();
    const loginForm = await b.open(`${PUBLIC_URL}/v1/auth/oidc/${provider}?${new URLSearchParams({ appid: APPID, ...query }).toString()}`);
    expect(loginForm.body).toContain('name="login"');
    const consent = await b.submit(loginForm, { login, password: 'any password works' });
    expect(consent.body).toContain('value="consent"');
    return b.submit(consent);
  }

  /** A web login up to the provider's redirect back: the callback as a path of the app, and the browser's cookies for it. */
  async function untilCallback(provider: string, login: string, query: Record<string, string> = {}): Promise<{ path: string; cookie: string }> {
    const b = browser({ stopAtCallback: true });
    const loginForm = await b.open(`${PUBLIC_URL}/v1/auth/oidc/${provider}?${new URLSearchParams({ appid: APPID, ...query }).toString()}`);
    const consent = await b.submit(loginForm, { login, password: 'x' });
    const url = new URL((await b.submit(consent)).redirectedTo!);
    expect(url.searchParams.get('code')).toBeTruthy();
    return { path: url.pathname + url.search, cookie: b.cookieHeader(url) };
  }

  /** Starts a login with our service: the parameters it sent to the provider, and the cookie it set. */
  async function startLogin(provider: string, query: Record<string, string> = {}): Promise<{ params: URLSearchParams; state: string; cookie: string }> {
    const res = await api().get(`/v1/auth/oidc/${provider}`).query({ appid: APPID, ...query });
    expect(res.status).toBe(302);
    const params = new URL(res.headers.location).searchParams;
    const setCookie = [res.headers['set-cookie'] ?? []].flat().join('\n');
    return { params, state: params.get('state')!, cookie: /^[^;]+/.exec(setCookie)?.[0] ?? '' };
  }

  function callback(provider: string, query: Record<string, string>, cookie: string) {
    return api().get(`/v1/auth/oidc/${provider}/callback`).query(query).set('cookie', cookie);
  }

  function fragmentOf(page: BrowserPage): URLSearchParams {
    const url = new URL(page.redirectedTo!);
    expect(url.origin + url.pathname).toBe(RETURN_URL);
    return new URLSearchParams(url.hash.slice(1));
  }

  async function me(token: string): Promise<request.Response> {
    return api().get('/v1/me').auth(token, { type: 'bearer' });
  }

  /** An ID token as the provider would sign it, with NONCE; each one different (its own jti). */
  async function signIdToken(
    claims: JWTPayload = {},
    options: { key?: KeyLike; kid?: string; typ?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: idp.issuer, aud: WEB.clientId, sub: 'frank', iat: now, exp: now + 600, nonce: NONCE, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? idp.kid, ...(options.typ ? { typ: options.typ } : {}) })
      .sign(options.key ?? idp.privateKey);
  }

  /** What the mobile app does with the provider's SDK: a code flow with PKCE as the public native client. */
  async function idTokenFromProvider(login: string, nonce: string): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const b = new TestBrowser();
    const query = new URLSearchParams({
      client_id: MOBILE.clientId,
      response_type: 'code',
      redirect_uri: MOBILE.redirectUri,
      scope: 'openid email profile',
      state: 'app-state',
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const loginForm = await b.open(`${idp.issuer}/auth?${query.toString()}`);
    const consent = await b.submit(loginForm, { login, password: 'x' });
    const back = await b.submit(consent);
    const code = new URL(back.redirectedTo!).searchParams.get('code')!;
    const tokens = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: MOBILE.redirectUri, client_id: MOBILE.clientId, code_verifier: verifier }),
    });
    return ((await tokens.json()) as { id_token: string }).id_token;
  }

  async function phoneLogin(phone: string): Promise<string> {
    expect((await api().post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    const res = await api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) });
    expect(res.status).toBe(200);
    return res.body.token as string;
  }

  describe('web flow', () => {
    it('redirects to the provider with state, nonce and an S256 PKCE challenge', async () => {
      const { params } = await startLogin('corp');
      expect(Object.fromEntries(params)).toEqual({
        client_id: WEB.clientId,
        redirect_uri: callbackUrl('corp'),
        response_type: 'code',
        scope: 'openid email profile',
        state: expect.stringMatching(/^[\w-]{43}$/),
        nonce: expect.stringMatching(/^[\w-]{43}$/),
        code_challenge: expect.stringMatching(/^[\w-]{43}$/),
        code_challenge_method: 'S256',
      });
    });

    it('binds the login to the browser with a cookie for the callback path, whose value cannot be guessed', async () => {
      const res = await api().get('/v1/auth/oidc/corp').query({ appid: APPID });
      const state = new URL(res.headers.location).searchParams.get('state')!;
      // Plain http here; over https the cookie is __Host- prefixed (oidc-login-cookie.spec.ts).
      expect(res.headers['set-cookie']).toEqual([
        expect.stringMatching(new RegExp(`^oidc_${state}=[\\w-]{43}; Max-Age=600; Path=/v1/auth/oidc/corp/callback; Expires=[^;]+; HttpOnly; SameSite=Lax$`)),
      ]);
    });

    it('logs in through the login form and consent: JSON like the OTP login, and /v1/me knows the identity', async () => {
      const page = await webLogin('corp', 'alice');

      expect(page.status).toBe(200);
      const login = JSON.parse(page.body);
      expect(login).toMatchObject({ token: expect.any(String), address: 'corp:alice', newUser: true, userId: expect.any(String) });
      expect(login).not.toHaveProperty('phone');
      expect(t.mesibo.users.get('corp:alice')?.tokens.has(login.token)).toBe(true);
      expect((await me(login.token)).body).toMatchObject({
        address: 'corp:alice',
        displayName: 'User alice',
        identities: [{ method: 'oidc:corp', subject: 'alice', verified: true }],
        session: { appid: APPID },
      });

      const again = JSON.parse((await webLogin('corp', 'alice')).body);
      expect(again).toMatchObject({ address: 'corp:alice', newUser: false, userId: login.userId });
    });

    it('with return_to, redirects there with the token in the fragment', async () => {
      const page = await webLogin('corp', 'erin', { return_to: RETURN_URL });

      expect(page.status).toBe(302);
      const result = fragmentOf(page);
      expect(result.get('address')).toBe('corp:erin');
      expect(new Date(result.get('expires_at')!).getTime()).toBeGreaterThan(t.clock.nowMs());
      expect((await me(result.get('token')!)).body).toMatchObject({ address: 'corp:erin' });
    });

    it('uses a login state once: the same callback again is refused, cookie or not', async () => {
      const { path, cookie } = await untilCallback('corp', 'ivan');

      const first = await api().get(path).set('cookie', cookie);
      expect(first.status).toBe(200);
      expect(first.headers['set-cookie']).toEqual([expect.stringMatching(/^oidc_[\w-]+=; Path=\/v1\/auth\/oidc\/corp\/callback; Expires=Thu, 01 Jan 1970/)]);
      expectProblem(await api().get(path).set('cookie', cookie), 400, 'invalid_request');
    });

    it('refuses a login state after 10 minutes, back to return_to when there is one', async () => {
      const expired = await untilCallback('corp', 'judy');
      t.clock.advance(11 * 60);
      expectProblem(await api().get(expired.path).set('cookie', expired.cookie), 400, 'invalid_request');

      const withReturn = await untilCallback('corp', 'judy', { return_to: RETURN_URL });
      t.clock.advance(11 * 60);
      const res = await api().get(withReturn.path).set('cookie', withReturn.cookie);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${RETURN_URL}#error=invalid_request`);
    });

    it('refuses the callback in a browser that did not start the login (login CSRF), and uses the state up', async () => {
      const { path, cookie } = await untilCallback('corp', 'mallory');

      expectProblem(await api().get(path), 400, 'invalid_request');
      expectProblem(await api().get(path).set('cookie', 'oidc_someone-else=1'), 400, 'invalid_request');
      expectProblem(await api().get(path).set('cookie', cookie), 400, 'invalid_request');
    });

    it('refuses a cookie of the right name with another value: planted, or made up for a callback link someone saw', async () => {
      for (const value of ['1', 'anything', `${'A'.repeat(43)}`]) {
        const { path } = await untilCallback('corp', 'mallory');
        const state = new URL(path, t.url).searchParams.get('state')!;
        expectProblem(await api().get(path).set('cookie', `oidc_${state}=${value}`), 400, 'invalid_request');
      }
      // Nor does the value of one login open another.
      const first = await untilCallback('corp', 'mallory');
      const second = await untilCallback('corp', 'mallory');
      const secondState = new URL(second.path, t.url).searchParams.get('state')!;
      const firstValue = first.cookie.split('=')[1];
      expectProblem(await api().get(second.path).set('cookie', `oidc_${secondState}=${firstValue}`), 400, 'invalid_request');
    });

    it('refuses a state of another provider, and an unknown state', async () => {
      const { state, cookie } = await startLogin('corp');
      expectProblem(await callback('mail', { code: 'x', state }, cookie), 400, 'invalid_request');
      expectProblem(await callback('corp', { code: 'x', state: 'made-up' }, 'oidc_made-up=1'), 400, 'invalid_request');
      expectProblem(await callback('corp', { code: 'x' }, cookie), 400, 'invalid_request');
    });

    it('401 when the provider answers with an error, or the code does not exchange; #error=… with return_to', async () => {
      const denied = await startLogin('corp');
      const res = await callback('corp', { error: 'access_denied', state: denied.state }, denied.cookie);
      expectProblem(res, 401, 'invalid_id_token');
      expect(res.body.detail).toContain('access_denied');

      const deniedBack = await startLogin('corp', { return_to: RETURN_URL });
      const back = await callback('corp', { error: 'access_denied', state: deniedBack.state }, deniedBack.cookie);
      expect(back.status).toBe(302);
      expect(back.headers.location).toBe(`${RETURN_URL}#error=invalid_id_token`);

      const forged = await startLogin('corp');
      expectProblem(await callback('corp', { code: 'forged-code', state: forged.state, iss: idp.issuer }, forged.cookie), 401, 'invalid_id_token');
    });

    it('400 without appid or with a return_to that is not configured, 404 for an unknown provider', async () => {
      expectProblem(await api().get('/v1/auth/oidc/corp'), 400, 'invalid_request');
      expectProblem(await api().get('/v1/auth/oidc/corp').query({ appid: APPID, return_to: 'https://evil.example.com/' }), 400, 'invalid_request');
      expectProblem(await api().get('/v1/auth/oidc/corp').query({ appid: APPID, extra: '1' }), 400, 'invalid_request');
      expectProblem(await api().get('/v1/auth/oidc/nope').query({ appid: APPID }), 404, 'not_found');
      expectProblem(await api().get('/v1/auth/oidc/nope/callback').query({ code: 'x', state: 'y' }), 404, 'not_found');
    });

    it('503 provider_unavailable when the provider cannot be discovered', async () => {
      expectProblem(await api().get('/v1/auth/oidc/down').query({ appid: APPID }), 503, 'provider_unavailable');
      expectProblem(await api().post('/v1/auth/oidc/down/token').send({ idToken: 'x.y.z', nonce: NONCE, appid: APPID }), 503, 'provider_unavailable');
    });

    it('never logs tokens, codes or the client secret', async () => {
      const { path, cookie } = await untilCallback('corp', 'kim');
      const code = new URL(path, t.url).searchParams.get('code')!;
      const login = (await api().get(path).set('cookie', cookie)).body as { token: string };
      await api().get(path).set('cookie', cookie); // refused

      const logs = t.logs.lines.join('\n');
      for (const secret of [login.token, code, WEB.clientSecret, GITHUB.clientSecret]) expect(logs).not.toContain(secret);
    });
  });

  describe('the mesibo address of a new user', () => {
    it('is <provider>:<subject> by default, even with a verified email', () => {
      expect(t.mesibo.users.has('corp:alice')).toBe(true);
      expect(t.mesibo.users.has('alice@example.com')).toBe(false);
    });

    it('is the verified email with EMAIL_AS_ADDRESS=true', async () => {
      const login = JSON.parse((await webLogin('mail', 'bob')).body);

      expect(login.address).toBe('bob@example.com');
      expect(t.mesibo.users.has('bob@example.com')).toBe(true);
      expect((await me(login.token)).body.identities).toEqual([expect.objectContaining({ method: 'oidc:mail', subject: 'bob' })]);
    });

    it('is <provider>:<subject> with EMAIL_AS_ADDRESS=true when the email is not verified', async () => {
      const login = JSON.parse((await webLogin('mail', 'unverified-carol')).body);

      expect(login.address).toBe('mail:unverified-carol');
      expect(t.mesibo.users.has('unverified-carol@example.com')).toBe(false);
    });
  });

  describe('native flow: an ID token from the app', () => {
    const login = (provider: string, body: Record<string, unknown>) => api().post(`/v1/auth/oidc/${provider}/token`).send({ appid: APPID, ...body });
    const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts a token the provider issued to the mobile client (an extra audience), with its nonce', async () => {
      const idToken = await idTokenFromProvider('grace', 'nonce-of-grace');

      const res = await login('corp', { idToken, nonce: 'nonce-of-grace', device: 'pixel-8' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ address: 'corp:grace', newUser: true });
      expect((await me(res.body.token)).body.identities).toEqual([expect.objectContaining({ method: 'oidc:corp', subject: 'grace' })]);
    });

    it('accepts a token for the web client id, with its email as address where allowed', async () => {
      const claims = { sub: 'frank', email: 'Frank@Example.com', email_verified: true, name: 'Frank' };

      expect((await login('corp', { idToken: await signIdToken(claims), nonce: NONCE })).body).toMatchObject({ address: 'corp:frank' });
      expect((await login('mail', { idToken: await signIdToken(claims), nonce: NONCE })).body).toMatchObject({ address: 'frank@example.com' });
    });

    it('requires the nonce: 400 without one, though the token is fine', async () => {
      const idToken = await signIdToken({ sub: 'nora' });

      const res = await login('corp', { idToken });
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.detail).toContain('nonce');
      // The refusal did not use the token up.
      expect((await login('corp', { idToken, nonce: NONCE })).status).toBe(200);
    });

    it('accepts a token holding the SHA-256 (hex) of the nonce, given the raw value; the hash read from the token does not do', async () => {
      const rawNonce = randomBytes(16).toString('base64url');
      const idToken = await idTokenFromProvider('hana', sha256Hex(rawNonce));

      expectProblem(await login('corp', { idToken, nonce: sha256Hex(rawNonce) }), 401, 'invalid_id_token');
      const res = await login('corp', { idToken, nonce: rawNonce });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ address: 'corp:hana' });
    });

    it('logs in once with a token: a replay is refused, with the same nonce, at another provider of the same issuer, or after a logout', async () => {
      const idToken = await idTokenFromProvider('olga', 'nonce-of-olga');

      const first = await login('corp', { idToken, nonce: 'nonce-of-olga' });
      expect(first.status).toBe(200);
      expectProblem(await login('corp', { idToken, nonce: 'nonce-of-olga' }), 401, 'invalid_id_token');
      expectProblem(await login('mail', { idToken, nonce: 'nonce-of-olga' }), 401, 'invalid_id_token');
      await api().post('/v1/auth/logout').auth(first.body.token, { type: 'bearer' });
      expectProblem(await login('corp', { idToken, nonce: 'nonce-of-olga' }), 401, 'invalid_id_token');
      expect(t.logs.lines.join('\n')).toContain('already used');
    });

    it('a login that failed (mesibo down) gives the token back: the app may retry it, once', async () => {
      const idToken = await signIdToken({ sub: 'pete' });

      t.mesibo.failNext(2);
      expectProblem(await login('corp', { idToken, nonce: NONCE }), 503, 'mesibo_unavailable');
      expect((await login('corp', { idToken, nonce: NONCE })).status).toBe(200);
      expectProblem(await login('corp', { idToken, nonce: NONCE }), 401, 'invalid_id_token');
    });

    it('with REQUIRE_NONCE=false: a token without a nonce logs in once; a nonce that is sent must still match', async () => {
      const idToken = await signIdToken({ sub: 'quinn', nonce: undefined });

      expect((await login('mail', { idToken })).status).toBe(200);
      expectProblem(await login('mail', { idToken }), 401, 'invalid_id_token');
      expectProblem(await login('mail', { idToken: await signIdToken({ sub: 'quinn', nonce: 'nonce-1' }), nonce: 'nonce-2' }), 401, 'invalid_id_token');
    });

    it('with several audiences, accepts the token only when azp is the client id or a configured audience', async () => {
      const audiences = [WEB.clientId, 'another-client'];
      expectProblem(await login('corp', { idToken: await signIdToken({ aud: audiences }), nonce: NONCE }), 401, 'invalid_id_token');
      expectProblem(await login('corp', { idToken: await signIdToken({ aud: audiences, azp: 'another-client' }), nonce: NONCE }), 401, 'invalid_id_token');

      expect((await login('corp', { idToken: await signIdToken({ aud: audiences, azp: MOBILE.clientId }), nonce: NONCE })).status).toBe(200);
      expect((await login('corp', { idToken: await signIdToken({ aud: audiences, azp: WEB.clientId }), nonce: NONCE })).status).toBe(200);
      // One audience: azp is the app's own client id, as in Google tokens from Android; not checked.
      expect((await login('corp', { idToken: await signIdToken({ azp: 'an-android-client' }), nonce: NONCE })).status).toBe(200);
    });

    it.each<[string, () => Promise<string>, string | undefined]>([
      ['signed by another key under the same kid', async () => signIdToken({}, { key: (await generateKeyPair('RS256')).privateKey }), NONCE],
      ['signed by another key of its own', async () => signIdToken({}, { key: (await generateKeyPair('RS256')).privateKey, kid: 'other' }), NONCE],
      ['from another issuer', () => signIdToken({ iss: 'https://evil.example.com' }), NONCE],
      ['expired', () => signIdToken({ iat: now() - 7200, exp: now() - 3600 }), NONCE],
      ['for another audience', () => signIdToken({ aud: 'someone-else' }), NONCE],
      ['without a subject', () => signIdToken({ sub: undefined }), NONCE],
      ['with another nonce', () => signIdToken({ nonce: 'nonce-1' }), 'nonce-2'],
      ['without the nonce the app expects', () => signIdToken({ nonce: undefined }), 'nonce-2'],
      ['that is an access token (typ at+jwt)', () => signIdToken({}, { typ: 'at+jwt' }), NONCE],
      ['that is an access token (typ application/at+jwt)', () => signIdToken({}, { typ: 'application/at+JWT' }), NONCE],
      ['issued in the future', () => signIdToken({ iat: now() + 3600, exp: now() + 7200 }), NONCE],
      ['issued more than ID_TOKEN_MAX_AGE_SECONDS (600) ago, though not expired', () => signIdToken({ iat: now() - 700, exp: now() + 3600 }), NONCE],
      ['that is not a JWT', () => Promise.resolve('not-a-jwt'), NONCE],
    ])('401 invalid_id_token for a token %s', async (_label, token, nonce) => {
      expectProblem(await login('corp', { idToken: await token(), nonce }), 401, 'invalid_id_token');
    });

    it('allows a little clock skew: a token issued seconds in the future, or 600 s ago', async () => {
      expect((await login('corp', { idToken: await signIdToken({ iat: now() + 10 }), nonce: NONCE })).status).toBe(200);
      expect((await login('corp', { idToken: await signIdToken({ iat: now() - 600 }), nonce: NONCE })).status).toBe(200);
    });

    it('400 for an OAuth2 provider or bad fields, 404 for an unknown provider', async () => {
      const idToken = await signIdToken();
      expectProblem(await login('github', { idToken, nonce: NONCE }), 400, 'invalid_request');
      expectProblem(await login('corp', { idToken, nonce: NONCE, admin: true }), 400, 'invalid_request');
      expectProblem(await api().post('/v1/auth/oidc/corp/token').send({ idToken, nonce: NONCE }), 400, 'invalid_request');
      expectProblem(await login('nope', { idToken, nonce: NONCE }), 404, 'not_found');
    });
  });

  describe('linking to a logged-in user', () => {
    const link = (token: string, body: Record<string, unknown>) => api().post('/v1/me/identities/oidc/corp').auth(token, { type: 'bearer' }).send(body);

    it('links oidc:corp to a phone user, who then logs in with it and keeps the address; another user gets 409', async () => {
      const token = await phoneLogin('18005550101');

      expect((await link(token, { idToken: await signIdToken({ sub: 'henry' }), nonce: NONCE })).status).toBe(204);
      const profile = (await me(token)).body;
      // Both were made at the same (test) instant, so their order is not defined.
      expect(profile.identities).toHaveLength(2);
      expect(profile.identities).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ method: 'phone', subject: '18005550101' }),
          expect.objectContaining({ method: 'oidc:corp', subject: 'henry', verified: true }),
        ]),
      );

      const viaOidc = await api().post('/v1/auth/oidc/corp/token').send({ idToken: await signIdToken({ sub: 'henry' }), nonce: NONCE, appid: APPID });
      expect(viaOidc.body).toMatchObject({ userId: profile.id, address: '18005550101', newUser: false });

      // Linking it again is a no-op; another user cannot have it.
      expect((await link(token, { idToken: await signIdToken({ sub: 'henry' }), nonce: NONCE })).status).toBe(204);
      const other = await phoneLogin('18005550102');
      expectProblem(await link(other, { idToken: await signIdToken({ sub: 'henry' }), nonce: NONCE }), 409, 'identity_in_use');
    });

    it('checks the ID token and the bearer token', async () => {
      const token = await phoneLogin('18005550103');
      expectProblem(await api().post('/v1/me/identities/oidc/corp').send({ idToken: await signIdToken(), nonce: NONCE }), 401, 'invalid_token');
      expectProblem(await link(token, { idToken: await signIdToken({ aud: 'x' }), nonce: NONCE }), 401, 'invalid_id_token');
      expectProblem(await link(token, { idToken: await signIdToken({ nonce: 'a' }), nonce: 'b' }), 401, 'invalid_id_token');
      expect((await me(token)).body.identities).toHaveLength(1);
    });

    it('requires the nonce, and refuses a token that was used already: a leaked token of a new user cannot be linked to another account', async () => {
      const attacker = await phoneLogin('18005550104');
      expectProblem(await link(attacker, { idToken: await signIdToken({ sub: 'iris' }) }), 400, 'invalid_request');

      // Iris logs in with a token once; whoever gets hold of it afterwards cannot link it.
      const idToken = await idTokenFromProvider('iris', 'nonce-of-iris');
      expect((await api().post('/v1/auth/oidc/corp/token').send({ idToken, nonce: 'nonce-of-iris', appid: APPID })).status).toBe(200);
      expectProblem(await link(attacker, { idToken, nonce: 'nonce-of-iris' }), 401, 'invalid_id_token');

      // Nor can a token that its owner used to link be linked again elsewhere.
      const owner = await phoneLogin('18005550105');
      const linkedOnce = await idTokenFromProvider('jack', 'nonce-of-jack');
      expect((await link(owner, { idToken: linkedOnce, nonce: 'nonce-of-jack' })).status).toBe(204);
      // The owner unlinks it again, so only the used token stands in the way.
      const linked = ((await me(owner)).body.identities as { id: string; method: string }[]).find((identity) => identity.method === 'oidc:corp')!;
      expect((await api().delete(`/v1/me/identities/${linked.id}`).auth(owner, { type: 'bearer' })).status).toBe(204);
      expectProblem(await link(attacker, { idToken: linkedOnce, nonce: 'nonce-of-jack' }), 401, 'invalid_id_token');
      expect((await me(attacker)).body.identities).toHaveLength(1);
    });
  });

  describe('plain OAuth2 provider (GitHub-shaped)', () => {
    it('logs in with the code flow and the userinfo call; an email without email_verified is not an address', async () => {
      const page = await browser().open(`${PUBLIC_URL}/v1/auth/oidc/github?appid=${APPID}`);

      expect(page.status).toBe(200);
      const login = JSON.parse(page.body);
      expect(login).toMatchObject({ address: 'github:123', newUser: true });
      expect((await me(login.token)).body).toMatchObject({
        displayName: 'The Octocat',
        identities: [{ method: 'oidc:github', subject: '123', verified: true }],
      });
    });

    it('sends PKCE, and refuses a code the provider does not know', async () => {
      const { params, state, cookie } = await startLogin('github', { return_to: RETURN_URL });
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('scope')).toBe('read:user');

      const res = await callback('github', { code: 'forged', state }, cookie);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${RETURN_URL}#error=invalid_id_token`);
    });
  });
});

function prefixed(prefix: string, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([key, value]) => [`${prefix}${key}`, value]));
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
