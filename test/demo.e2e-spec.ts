import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { startTestProvider, TestProvider } from './support/oidc-provider-process';
import { describeWithPrograms } from './support/server-software';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const CHROMIUM = '/usr/bin/chromium';
/** The service's public URL: Chromium resolves this host to the app under test. */
const PUBLIC_HOST = 'mesibo-backend.test';
const PUBLIC_URL = `http://${PUBLIC_HOST}`;
const DEMO_URL = `${PUBLIC_URL}/demo`;
const APPID = 'com.mesibo.firstapp';
const PHONE = '18005551234';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const WEB = { clientId: 'mesibo-backend', clientSecret: 'web-client-secret-0123456789' };

/** The directives of a Content-Security-Policy header, by name. */
function csp(header: string | undefined): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives[name] = values;
  }
  return directives;
}

function prefixed(prefix: string, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]));
}

describeWithPrograms('demo page', [CHROMIUM], 'apt-get install chromium')('the demo page, in headless Chromium', () => {
  let idp: TestProvider;
  let inbox: SmtpInbox;
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [idp, inbox] = await Promise.all([
      startTestProvider({
        web: { ...WEB, redirectUris: [`${PUBLIC_URL}/v1/auth/oidc/corp/callback`] },
        // Clients the provider needs configured; these tests only use the web one.
        mobile: { clientId: 'mesibo-android', redirectUri: 'com.example.mobile:/oauth2redirect' },
        github: { clientId: 'github-client', clientSecret: 'github-secret-0123456789', redirectUri: `${PUBLIC_URL}/unused`, user: {} },
      }),
      new SmtpInbox().start(),
    ]);
    t = await startTestApp({
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      OIDC_PROVIDERS: 'corp',
      OIDC_CALLBACK_BASE_URL: PUBLIC_URL,
      OIDC_RETURN_URLS: `https://chat.example.com/login-done,${DEMO_URL}`,
      ...prefixed('OIDC_CORP_', { CLIENT_ID: WEB.clientId, CLIENT_SECRET: WEB.clientSecret, ISSUER: idp.issuer }),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${PUBLIC_HOST} ${new URL(t.url).host}`,
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await inbox?.stop();
    await idp?.stop();
  });

  let context: BrowserContext;
  let page: Page;
  /** What would show that the page does not work under its CSP: violations and uncaught errors. */
  let breakage: string[];

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    // Fails a step with its own message well before the test's timeout.
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    breakage = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) breakage.push(message.text());
    });
    page.on('pageerror', (error) => breakage.push(error.message));
  });

  afterEach(async () => {
    await context?.close();
    expect(breakage).toEqual([]);
  });

  const api = () => request(t.url);
  const me = (token: string) => api().get('/v1/me').auth(token, { type: 'bearer' });
  const message = () => page.locator('#message');

  async function openDemo(): Promise<void> {
    const response = await page.goto(DEMO_URL);
    expect(response?.status()).toBe(200);
    await page.locator('#login').waitFor();
  }

  /** The token the page holds (in this tab's sessionStorage only). */
  function tokenOfPage(): Promise<string | null> {
    // A string: the test is compiled without the DOM's types.
    return page.evaluate<string | null>("sessionStorage.getItem('mesibo-demo-token')");
  }

  async function phoneLogin(phone: string): Promise<string> {
    await openDemo();
    await page.fill('#phone', phone);
    await page.click('#phone-form button');
    await page.locator('#code-form').waitFor();
    await page.fill('#otp', t.gateway.lastCodeFor(phone.replace(/\D/g, '')));
    await page.click('#code-form button');
    await page.locator('#account').waitFor();
    return (await tokenOfPage())!;
  }

  it('serves the page, its script and stylesheet under a CSP that allows only their own origin, and says which logins are on', async () => {
    const pageRes = await api().get('/demo');
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers['content-type']).toBe('text/html; charset=utf-8');
    const policy = csp(pageRes.headers['content-security-policy']);
    expect(policy).toMatchObject({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'connect-src': ["'self'"],
      'frame-ancestors': ["'none'"],
    });
    expect(JSON.stringify(policy)).not.toContain('unsafe');
    expect(pageRes.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=/i);

    const script = await api().get('/demo/demo.js');
    expect([script.status, script.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(csp(script.headers['content-security-policy'])['script-src']).toEqual(["'self'"]);
    const style = await api().get('/demo/demo.css');
    expect([style.status, style.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);

    const logins = await api().get('/demo/config.json');
    expect(logins.status).toBe(200);
    // Only the return URL that is a demo page; no client ids, secrets or issuers.
    expect(logins.body).toEqual({ phone: true, email: true, oidc: { providers: ['corp'], returnUrls: [DEMO_URL] } });

    // The API keeps its own CSP.
    expect(csp((await api().get('/v1/me')).headers['content-security-policy'])['default-src']).toEqual(["'none'"]);

    // What the browser got, and the page it rendered from it.
    const response = await page.goto(DEMO_URL);
    expect(csp(response?.headers()['content-security-policy'])['script-src']).toEqual(["'self'"]);
    await page.locator('#login').waitFor();
    await expect(page.locator('#oidc-providers a').getAttribute('href')).resolves.toBe(
      `/v1/auth/oidc/corp?appid=${encodeURIComponent(APPID)}&return_to=${encodeURIComponent(DEMO_URL)}`,
    );
  });

  it('logs in by phone: a resend too soon and a wrong code show the problem, the right code shows the owner from /v1/me', async () => {
    await openDemo();
    await page.fill('#phone', '+1 800 555 1234');
    await page.click('#phone-form button');
    await page.locator('#code-form').waitFor();
    await expect(message().textContent()).resolves.toContain(`A code was sent to ${PHONE}`);
    const code = t.gateway.lastCodeFor(PHONE);

    await page.click('#phone-form button');
    await page.locator('#message.error').waitFor();
    await expect(message().textContent()).resolves.toMatch(/Try again in \d+ s\. \(rate_limited\)$/);
    expect(t.gateway.messages.filter((sent) => sent.to === PHONE)).toHaveLength(1);

    await page.fill('#otp', code === '000000' ? '111111' : '000000');
    await page.click('#code-form button');
    await page.locator('#message.error', { hasText: 'invalid_code' }).waitFor();
    await expect(message().textContent()).resolves.toBe('The code is not correct. (invalid_code)');

    await page.fill('#otp', code);
    await page.click('#code-form button');
    await page.locator('#account').waitFor();
    const token = (await tokenOfPage())!;
    const owner = await me(token);
    expect(owner.status).toBe(200);
    await expect(page.locator('#me-id').textContent()).resolves.toBe(owner.body.id);
    await expect(page.locator('#me-address').textContent()).resolves.toBe(PHONE);
    await expect(page.locator('#me-identities tr td').allTextContents()).resolves.toEqual(['phone', PHONE, 'yes']);
    await expect(page.locator('#me-appid').textContent()).resolves.toBe(APPID);
    await expect(page.locator('#message').isHidden()).resolves.toBe(true);
    await expect(page.locator('#login').isHidden()).resolves.toBe(true);

    // The token stays in this tab: a reload shows the same owner again.
    await page.reload();
    await page.locator('#account').waitFor();
    await expect(page.locator('#me-id').textContent()).resolves.toBe(owner.body.id);

    if (process.env.DEMO_SCREENSHOT) await page.screenshot({ path: process.env.DEMO_SCREENSHOT });
  });

  it('logs out: the page says so and forgets the token, and the token gets 401 from /v1/me', async () => {
    const token = await phoneLogin('+1 800 555 9876');
    expect((await me(token)).status).toBe(200);

    await page.click('#logout');
    await page.locator('#message', { hasText: 'Logged out.' }).waitFor();
    await expect(page.locator('#account').isHidden()).resolves.toBe(true);
    await expect(page.locator('#login').isVisible()).resolves.toBe(true);
    await expect(tokenOfPage()).resolves.toBeNull();

    const after = await me(token);
    expect([after.status, after.body.code]).toEqual([401, 'invalid_token']);
    expect(t.mesibo.isTokenValid(token)).toBe(false);
  });

  it('logs in by email and password, showing a wrong password as the problem says', async () => {
    expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: PASSWORD, name: 'Ada' })).status).toBe(202);
    const { code } = await inbox.codeFor(EMAIL);
    expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: PASSWORD })).status).toBe(204);

    await openDemo();
    await page.fill('#email', EMAIL);
    await page.fill('#password', 'not the password at all');
    await page.click('#email-form button');
    await page.locator('#message.error').waitFor();
    await expect(message().textContent()).resolves.toBe('Wrong email or password, or the address is not confirmed yet. (invalid_credentials)');

    await page.fill('#password', PASSWORD);
    await page.click('#email-form button');
    await page.locator('#account').waitFor();
    await expect(page.locator('#me-address').textContent()).resolves.toBe(EMAIL);
    await expect(page.locator('#me-name').textContent()).resolves.toBe('Ada');
    await expect(page.locator('#me-identities tr td').allTextContents()).resolves.toEqual(['email', EMAIL, 'yes']);
    await expect(page.locator('#password').inputValue()).resolves.toBe('');
    expect((await me((await tokenOfPage())!)).body.address).toBe(EMAIL);
  });

  it('logs in with an OpenID Connect provider and comes back to the page with the token', async () => {
    await openDemo();
    await page.click('#oidc-providers a');
    // The provider's own pages: its login form, then its consent screen.
    await page.locator('input[name="login"]').waitFor();
    await page.fill('input[name="login"]', 'frank');
    await page.fill('input[name="password"]', 'any password works');
    await page.click('button[type="submit"]');
    await page.locator('button[type="submit"]', { hasText: 'Continue' }).click();

    await page.locator('#account').waitFor();
    // The token came in the fragment and is out of the address bar again.
    expect(page.url()).toBe(DEMO_URL);
    await expect(page.locator('#me-address').textContent()).resolves.toBe('corp:frank');
    await expect(page.locator('#me-identities tr td').allTextContents()).resolves.toEqual(['oidc:corp', 'frank', 'yes']);
    const owner = await me((await tokenOfPage())!);
    expect([owner.status, owner.body.address]).toEqual([200, 'corp:frank']);
  });

  it('shows a failed web login from the error in the fragment', async () => {
    const response = await page.goto(`${DEMO_URL}#error=invalid_id_token`);
    expect(response?.status()).toBe(200);
    await page.locator('#message.error').waitFor();
    await expect(message().textContent()).resolves.toBe('The single sign-on login failed (invalid_id_token).');
    expect(page.url()).toBe(DEMO_URL);
    await expect(page.locator('#account').isHidden()).resolves.toBe(true);
  });

  describe('with DEMO_PAGE=false', () => {
    let off: TestApp;
    beforeAll(async () => {
      off = await startTestApp({ DEMO_PAGE: 'false' });
    });
    afterAll(async () => {
      await off?.close();
    });

    it('answers 404 for the page, its files and its settings', async () => {
      for (const path of ['/demo', '/demo/', '/demo/demo.js', '/demo/demo.css', '/demo/config.json']) {
        const res = await request(off.url).get(path);
        expect([path, res.status, res.headers['content-type'], res.body.code]).toEqual([
          path,
          404,
          expect.stringMatching(/^application\/problem\+json/),
          'not_found',
        ]);
      }
    });
  });
});
