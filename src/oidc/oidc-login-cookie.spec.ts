import express from 'express';
import request from 'supertest';
import { OidcLoginCookies } from './oidc-login-cookie';

const STATE = 'V4Xy8bCj1pN2q3r4s5t6u7v8w9x0y1z2A3B4C5D6E7F';
const OTHER_STATE = 'QaZ8bCj1pN2q3r4s5t6u7v8w9x0y1z2A3B4C5D6E7Fx';
const HTTPS_CALLBACK = 'https://login.example.com/v1/auth/oidc/corp/callback';
const HTTP_CALLBACK = 'http://localhost:3000/v1/auth/oidc/corp/callback';

/** The cookie of a login, set and checked over real HTTP by a tiny express app. */
function appWith(cookies: OidcLoginCookies, callback: string) {
  const app = express();
  app.get('/start', (_req, res) => {
    cookies.set(res, callback, STATE, 600_000);
    res.end();
  });
  app.get('/check', (req, res) => {
    res.json({ matches: cookies.matches(req, callback, STATE) });
  });
  app.get('/clear', (_req, res) => {
    cookies.clear(res, callback, STATE);
    res.end();
  });
  return app;
}

async function start(app: express.Express): Promise<{ header: string; pair: string; name: string; value: string }> {
  const header = [(await request(app).get('/start')).headers['set-cookie'] ?? []].flat()[0] ?? '';
  const pair = header.split(';')[0];
  const [name, value] = pair.split('=');
  return { header, pair, name, value };
}

async function matches(app: express.Express, cookie: string): Promise<boolean> {
  return ((await request(app).get('/check').set('cookie', cookie)).body as { matches: boolean }).matches;
}

describe('OidcLoginCookies: the cookie that ties a web login to its browser', () => {
  const cookies = new OidcLoginCookies({ secret: Buffer.from('a-secret-of-at-least-32-characters-long!') });

  it('over https: __Host- prefix, Secure, Path=/, no Domain, HttpOnly, SameSite=Lax', async () => {
    const { header, name, value } = await start(appWith(cookies, HTTPS_CALLBACK));

    expect(name).toBe(`__Host-oidc_${STATE}`);
    expect(value).toMatch(/^[\w-]{43}$/);
    expect(header).toMatch(/; Max-Age=600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    expect(header).not.toMatch(/Domain=/i);
  });

  it('over plain http: no prefix (browsers would drop it), scoped to the callback path', async () => {
    const { header, name } = await start(appWith(cookies, HTTP_CALLBACK));

    expect(name).toBe(`oidc_${STATE}`);
    expect(header).toMatch(/; Path=\/v1\/auth\/oidc\/corp\/callback; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    expect(header).not.toMatch(/Secure/);
  });

  it.each([HTTPS_CALLBACK, HTTP_CALLBACK])('accepts only the value it set (%s)', async (callback) => {
    const app = appWith(cookies, callback);
    const { pair, name, value } = await start(app);

    expect(await matches(app, pair)).toBe(true);
    expect(await matches(app, `theme=dark; ${pair}; lang=en`)).toBe(true);
    // A planted cookie beside the real one does not hide it.
    expect(await matches(app, `${name}=planted; ${pair}`)).toBe(true);

    expect(await matches(app, '')).toBe(false);
    expect(await matches(app, `${name}=1`)).toBe(false);
    expect(await matches(app, `${name}=`)).toBe(false);
    expect(await matches(app, `${name}=${value.slice(0, -1)}`)).toBe(false);
    expect(await matches(app, `${name}=${value}x`)).toBe(false);
    // The right value under another name: the other scheme's name, or another state's.
    const otherSchemeName = name.startsWith('__Host-') ? `oidc_${STATE}` : `__Host-oidc_${STATE}`;
    expect(await matches(app, `${otherSchemeName}=${value}`)).toBe(false);
    expect(await matches(app, `${name.replace(STATE, OTHER_STATE)}=${value}`)).toBe(false);
  });

  it('gives every state its own value, and another server key other values', async () => {
    const app = appWith(cookies, HTTPS_CALLBACK);
    const { value } = await start(app);
    const otherKey = new OidcLoginCookies({ secret: Buffer.from('another-secret-of-at-least-32-characters') });
    const { value: otherValue } = await start(appWith(otherKey, HTTPS_CALLBACK));

    expect(otherValue).not.toBe(value);
    expect(await matches(appWith(otherKey, HTTPS_CALLBACK), `__Host-oidc_${STATE}=${value}`)).toBe(false);
  });

  it('clears the cookie with the attributes it was set with', async () => {
    const header = [(await request(appWith(cookies, HTTPS_CALLBACK)).get('/clear')).headers['set-cookie'] ?? []].flat()[0];
    expect(header).toMatch(new RegExp(`^__Host-oidc_${STATE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$`));
  });
});
