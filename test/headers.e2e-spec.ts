import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

/** The settings this spec varies, all given each time (process.env carries them from one app to the next). */
function start(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({ NODE_ENV: 'test', API_DOCS: '', TRUST_PROXY: 'false', EMAIL_LOGIN: '', ...env });
}

function expectCommonHeaders(headers: Record<string, string>): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-powered-by']).toBeUndefined();
  // Answers carry tokens and codes: no cache keeps them, and none is revalidated.
  expect(headers['cache-control']).toContain('no-store');
  expect(headers['pragma']).toBe('no-cache');
  expect(headers['etag']).toBeUndefined();
}

/** The directives of a Content-Security-Policy header, by name. */
function csp(header: string | undefined): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives[name] = values;
  }
  return directives;
}

describe('security headers', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  describe('on the API', () => {
    beforeEach(async () => {
      t = await start();
    });

    it('REST answers, errors included, carry them, with a CSP that allows nothing', async () => {
      for (const res of [
        await request(t.url).get('/v1/me'),
        await request(t.url).post('/v1/auth/otp').send({ phone: 'nope', appid: 'a' }),
        await request(t.url).post('/v1/auth/otp').set('Content-Type', 'application/json').send('{bad json'),
        await request(t.url).get('/health/live'),
        await request(t.url).get('/no/such/path'),
      ]) {
        expectCommonHeaders(res.headers);
        expect(csp(res.headers['content-security-policy'])).toMatchObject({
          'default-src': ["'none'"],
          'frame-ancestors': ["'none'"],
        });
        // Plain HTTP: no HSTS.
        expect(res.headers['strict-transport-security']).toBeUndefined();
      }
    });

    it('op API answers carry them', async () => {
      const res = await request(t.url).post('/').send({ op: 'login', phone: '18005551234', appid: 'com.mesibo.firstapp' });
      expect(res.body.result).toBe('OK');
      expectCommonHeaders(res.headers);
      expect(csp(res.headers['content-security-policy'])['default-src']).toEqual(["'none'"]);
    });

    it('sends HSTS only for HTTPS, and believes X-Forwarded-Proto only from a trusted proxy', async () => {
      const untrusted = await request(t.url).get('/health/live').set('X-Forwarded-Proto', 'https');
      expect(untrusted.headers['strict-transport-security']).toBeUndefined();

      await t.close();
      t = await start({ TRUST_PROXY: 'loopback' });
      const viaProxy = await request(t.url).get('/health/live').set('X-Forwarded-Proto', 'https');
      expect(viaProxy.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      const plain = await request(t.url).get('/health/live').set('X-Forwarded-Proto', 'http');
      expect(plain.headers['strict-transport-security']).toBeUndefined();
    });
  });

  describe('Swagger UI at /docs', () => {
    beforeEach(async () => {
      t = await start();
    });

    it('loads its page and every asset under its CSP', async () => {
      const page = await request(t.url).get('/docs/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expectCommonHeaders(page.headers);
      const policy = csp(page.headers['content-security-policy']);
      expect(policy['script-src']).toEqual(["'self'"]);
      expect(policy['frame-ancestors']).toEqual(["'none'"]);

      // No inline script (script-src 'self' would block it): every script has a src.
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src=/);
        expect(body.trim()).toBe('');
      }
      // Inline <style> blocks need 'unsafe-inline' for styles.
      if (page.text.includes('<style')) expect(policy['style-src']).toContain("'unsafe-inline'");

      // Every script and stylesheet comes from this origin (allowed by 'self'), with a type nosniff accepts.
      const assets = [
        ...[...page.text.matchAll(/<script[^>]*src=["']([^"']+)["']/g)].map((m) => ({ url: m[1], type: /javascript/ })),
        ...[...page.text.matchAll(/<link[^>]*rel=["']stylesheet["'][^>]*href=["']([^"']+)["']|<link[^>]*href=["']([^"']+)["'][^>]*rel=["']stylesheet["']/g)].map(
          (m) => ({ url: m[1] ?? m[2], type: /text\/css/ }),
        ),
      ];
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        const url = new URL(asset.url, `${t.url}/docs/`);
        expect(url.origin).toBe(t.url);
        const res = await request(t.url).get(url.pathname);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(asset.type);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }

      const document = await request(t.url).get('/docs/openapi.json');
      expect(document.status).toBe(200);
      expect(document.body.openapi).toMatch(/^3\./);
    });
  });

  describe('API_DOCS', () => {
    const production = { NODE_ENV: 'production', EMAIL_LOGIN: 'false' };

    it('is off by default in production: /docs and the document are 404', async () => {
      t = await start(production);
      expect((await request(t.url).get('/docs/')).status).toBe(404);
      expect((await request(t.url).get('/docs/openapi.json')).status).toBe(404);
    });

    it('API_DOCS=true turns them on in production', async () => {
      t = await start({ ...production, API_DOCS: 'true' });
      expect((await request(t.url).get('/docs/')).status).toBe(200);
      expect((await request(t.url).get('/docs/openapi.json')).status).toBe(200);
    });

    it('API_DOCS=false turns them off while developing', async () => {
      t = await start({ API_DOCS: 'false' });
      expect((await request(t.url).get('/docs/openapi.json')).status).toBe(404);
      // Nothing to point a browser at: the op API answers as ever.
      const home = await request(t.url).get('/').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
      expect([home.status, home.body.error]).toEqual([200, 'BADREQUEST']);
    });

    it('points a browser that opens the service to the docs; apps and curl still get the op API', async () => {
      t = await start({});
      const browser = await request(t.url).get('/').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
      expect([browser.status, browser.headers.location]).toEqual([302, '/docs/']);
      const curl = await request(t.url).get('/').set('Accept', '*/*');
      expect([curl.status, curl.body.error]).toEqual([200, 'BADREQUEST']);
      // An old web build's GET with its op is an op API call, whatever it accepts.
      const app = await request(t.url).get('/?op=nosuch').set('Accept', 'text/html');
      expect([app.status, app.body.error]).toEqual([200, 'BADOP']);
    });
  });
});
