import express from 'express';
import request from 'supertest';
import { SamlLoginCookies } from './saml-login-cookies';

const STATE = '_V4Xy8bCj1pN2q3r4s5t6u7v8w9x0y1z2A3B4C5D6E7F';
const HTTPS_ACS = 'https://login.example.com/v1/auth/saml/acs';
const HTTP_ACS = 'http://localhost:3000/v1/auth/saml/acs';

describe('SamlLoginCookies: the cookie that ties a SAML login to its browser', () => {
  const cookies = new SamlLoginCookies({ secret: Buffer.from('a-secret-of-at-least-32-characters-long!') });

  function appWith(acs: string) {
    const app = express();
    app.get('/start', (_req, res) => {
      cookies.set(res, acs, STATE, 600_000);
      res.end();
    });
    app.post('/acs', (req, res) => {
      res.json({ matches: cookies.matches(req, acs, STATE) });
    });
    return app;
  }

  const setCookie = async (acs: string) => [(await request(appWith(acs)).get('/start')).headers['set-cookie'] ?? []].flat()[0] ?? '';

  it('over https: follows the cross-site form POST of the identity provider (SameSite=None), __Host-, Secure, Path=/', async () => {
    const header = await setCookie(HTTPS_ACS);
    expect(header).toMatch(new RegExp(`^__Host-saml_${STATE}=[\\w-]{43}; Max-Age=600; Path=/; Expires=[^;]+; HttpOnly; Secure; SameSite=None$`));
  });

  it('over plain http: no SameSite=None (browsers want Secure with it), scoped to the ACS path', async () => {
    const header = await setCookie(HTTP_ACS);
    expect(header).toMatch(new RegExp(`^saml_${STATE}=[\\w-]{43}; Max-Age=600; Path=/v1/auth/saml/acs; Expires=[^;]+; HttpOnly$`));
  });

  it('accepts only the value it set, and not the value of an OpenID Connect login cookie of the same state', async () => {
    const app = appWith(HTTPS_ACS);
    const pair = (await setCookie(HTTPS_ACS)).split(';')[0];
    const [name, value] = pair.split('=');
    const matches = async (cookie: string) => ((await request(app).post('/acs').set('cookie', cookie)).body as { matches: boolean }).matches;

    expect(await matches(pair)).toBe(true);
    expect(await matches(`${name}=planted; ${pair}`)).toBe(true);
    expect(await matches(`${name}=${value.slice(0, -1)}A`)).toBe(false);
    expect(await matches('')).toBe(false);
    // The OIDC cookies have their own key: the same state gives another value.
    const { OidcLoginCookies } = await import('../../oidc/oidc-login-cookie');
    const oidc = new OidcLoginCookies({ secret: Buffer.from('a-secret-of-at-least-32-characters-long!') });
    const oidcApp = express();
    oidcApp.get('/start', (_req, res) => {
      oidc.set(res, HTTPS_ACS, STATE, 600_000);
      res.end();
    });
    const oidcValue = ([(await request(oidcApp).get('/start')).headers['set-cookie'] ?? []].flat()[0] ?? '').split(';')[0].split('=')[1];
    expect(oidcValue).not.toBe(value);
    expect(await matches(`${name}=${oidcValue}`)).toBe(false);
  });
});
