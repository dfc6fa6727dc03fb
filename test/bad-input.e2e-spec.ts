import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const PHONE = '18005551234';
const APPID = 'com.messenger.appid';
const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';

/** `depth` levels of arrays around a string, as JSON text: about 2 bytes a level. */
const nested = (depth: number): string => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

/** A reply of the op API that refused the input as a bad request (never INTERNAL). */
function expectBadRequest(res: request.Response, op = 'login'): void {
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ op, result: 'FAIL', error: 'BADREQUEST' });
}

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
}

/** Sends a body as a stream without Content-Length (chunked), so only counting can bound it. */
function postChunked(url: string, contentType: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer and close before the whole body is written.
    req.on('error', reject);
    const write = (index: number): void => {
      if (index >= chunks.length || req.destroyed) return void req.end();
      if (req.write(chunks[index])) setImmediate(() => write(index + 1));
      else req.once('drain', () => write(index + 1));
    };
    write(0);
  });
}

describe('every bad input gets a clear answer', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Many numbers get codes here, all from one client address.
    t = await startTestApp({ BODY_LIMIT: '100kb', OTP_MAX_SENDS_PER_IP_PER_WINDOW: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: unknown, type = 'application/json') =>
    request(t.url)
      .post('/')
      .set('Content-Type', type)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  const rest = (path: string, body: unknown) =>
    request(t.url)
      .post(path)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  /** A fresh number with a pending code, so each test has its own budgets. */
  let nextPhone = 18005550100;
  async function phoneWithCode(): Promise<{ phone: string; code: string }> {
    const phone = String(nextPhone++);
    const res = await post({ op: 'login', phone, appid: APPID });
    expect(res.body).toMatchObject({ result: 'OK' });
    return { phone, code: t.gateway.lastCodeFor(phone) };
  }

  describe('deep nesting', () => {
    it.each([
      ['/v1/auth/otp', `{"phone":${nested(1400)},"appid":"${APPID}"}`],
      ['/v1/auth/email/login', `{"email":"a@example.com","password":${nested(1400)},"appid":"${APPID}"}`],
      ['/v1/auth/otp/verify', nested(1400)],
      ['/v1/auth/email/register', `{"email":"a@example.com","password":"x","extra":${nested(20000)}}`],
    ])('%s: 1,400+ levels are a 400 invalid_request', async (path, body) => {
      const res = await rest(path, body);

      expectProblem(res, 400, 'invalid_request');
      expect(res.body.detail).toMatch(/nested too deeply/);
    });

    it('the op API refuses a deeply nested field as BADREQUEST', async () => {
      expectBadRequest(await post(`{"op":"login","phone":${nested(1400)},"appid":"${APPID}"}`));
    });
  });

  describe('lone surrogates', () => {
    const email = `${LONE_SURROGATE}@example.com`;

    it.each([
      ['/v1/auth/email/register', { email, password: 'a long enough password 1' }],
      ['/v1/auth/email/login', { email, password: 'a long enough password 1', appid: APPID }],
      ['/v1/auth/password/forgot', { email }],
    ])('%s: an email with a lone surrogate is a 400', async (path, body) => {
      const res = await rest(path, body);

      expectProblem(res, 400, 'invalid_request');
      expect((res.body.errors as string[]).join(' ')).toMatch(/email/);
    });

    it('the op API answers BADREQUEST, not INTERNAL', async () => {
      const res = await post({ op: 'login', email, password: 'a long enough password 1', appid: APPID });

      expectBadRequest(res);
      expect(res.body.errmsg).not.toMatch(/went wrong/);
    });

    it('a lone surrogate in any other field, or a field name, is refused too', async () => {
      expectBadRequest(await post({ op: 'login', phone: PHONE, appid: `app${LONE_SURROGATE}` }));
      expectBadRequest(await post(`{"op":"login","phone":"${PHONE}","appid":"a","\\udc00":"x"}`));
      expectProblem(await rest('/v1/auth/otp', { phone: PHONE, appid: `\udc00${APPID}` }), 400, 'invalid_request');
    });
  });

  describe('NUL bytes', () => {
    it.each(['name', 'device', 'appid'])('%s with NUL: REST 400 before the code is spent', async (field) => {
      const { phone, code } = await phoneWithCode();
      const body = { phone, appid: APPID, otp: code, device: 'd', name: 'n', [field]: `x${NUL}y` };

      const res = await rest('/v1/auth/otp/verify', body);

      expectProblem(res, 400, 'invalid_request');
      expect((res.body.errors as string[]).join(' ')).toContain(`${field} must not contain NUL`);
      // The code was not spent: the same request without the NUL logs in.
      expect((await rest('/v1/auth/otp/verify', { ...body, [field]: 'fine' })).status).toBe(200);
    });

    it.each(['name', 'device', 'appid'])('%s with NUL: op API BADREQUEST before the code is spent', async (field) => {
      const { phone, code } = await phoneWithCode();
      const body = { op: 'login', phone, appid: APPID, otp: code, [field]: `x${NUL}y` };

      expectBadRequest(await post(body));
      expect((await post({ ...body, [field]: 'fine' })).body).toMatchObject({ result: 'OK', token: expect.any(String) });
    });

    it('an OIDC state with NUL is a 400, not a database error', async () => {
      const res = await request(t.url).get('/v1/auth/oidc/anything/callback').query({ state: `s${NUL}`, code: 'c' });

      expectProblem(res, 400, 'invalid_request');
    });
  });

  describe('field lengths are checked on both surfaces before a code is spent or mesibo called', () => {
    it.each(['name', 'device', 'appid'])('op API: %s of 256 characters is BADREQUEST; the code still works', async (field) => {
      const { phone, code } = await phoneWithCode();
      const before = t.mesibo.requests.length;
      const body = { op: 'login', phone, appid: APPID, otp: code, [field]: 'x'.repeat(256) };

      const res = await post(body);

      expectBadRequest(res);
      expect(res.body.errmsg).toBeDefined();
      expect(t.mesibo.requests.length).toBe(before);
      expect((await post({ ...body, [field]: 'x'.repeat(255) })).body).toMatchObject({ result: 'OK', token: expect.any(String) });
    });

    it.each(['name', 'device', 'appid'])('REST: %s of 256 characters is a 400', async (field) => {
      const { phone, code } = await phoneWithCode();
      const res = await rest('/v1/auth/otp/verify', { phone, appid: APPID, otp: code, [field]: 'x'.repeat(256) });

      expectProblem(res, 400, 'invalid_request');
      expect(res.body.errors).toEqual([`${field} must be at most 255 characters long`]);
    });

    it('op API: control characters in a one-line field are refused, as on REST', async () => {
      expectBadRequest(await post({ op: 'login', phone: PHONE, appid: 'a\u0007b' }));
      expectProblem(await rest('/v1/auth/otp', { phone: PHONE, appid: 'a\u0007b' }), 400, 'invalid_request');
    });
  });

  describe('bodies are bounded by BODY_LIMIT on every parser', () => {
    const boundary = 'XyZ';
    const part = (name: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

    it('a multipart body over the limit is refused as too large (Content-Length)', async () => {
      const body = part('op', 'login') + part('phone', PHONE) + part('junk', 'x'.repeat(300 * 1024)) + `--${boundary}--\r\n`;

      const res = await post(body, `multipart/form-data; boundary=${boundary}`);

      // Refused before reading: the op is not known.
      expectBadRequest(res, '');
      expect(res.body.errmsg).toMatch(/too large/);
    });

    it('a chunked multipart body is counted and cut at the limit', async () => {
      const chunk = Buffer.from(part('junk', 'y'.repeat(32 * 1024)));
      const chunks = [Buffer.from(part('op', 'login')), ...Array<Buffer>(64).fill(chunk)];

      const res = await postChunked(t.url, `multipart/form-data; boundary=${boundary}`, chunks);

      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ result: 'FAIL', error: 'BADREQUEST', errmsg: expect.stringMatching(/too large/) });
    });

    it('many small multipart fields within the limit are still read', async () => {
      const body = part('op', 'login') + part('phone', PHONE) + `--${boundary}--\r\n`;

      const res = await post(body, `multipart/form-data; boundary=${boundary}`);

      expect(res.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'MISSINGAPPID' });
    });

    it('files are refused with a clear BADREQUEST', async () => {
      const res = await request(t.url)
        .post('/')
        .field('op', 'profile')
        .attach('photo', Buffer.from('GIF89a'), 'photo.gif');

      expectBadRequest(res, 'profile');
      expect(res.body.errmsg).toMatch(/Files are not accepted/);
    });

    it('form, text and REST bodies over the limit are refused too', async () => {
      const big = 'x'.repeat(200 * 1024);
      expectBadRequest(await post(`op=login&junk=${big}`, 'application/x-www-form-urlencoded'), '');
      expectBadRequest(await post(JSON.stringify({ op: 'login', junk: big }), 'text/plain'), '');
      expectProblem(await rest('/v1/auth/otp', { phone: PHONE, appid: APPID, junk: big }), 413, 'invalid_request');
    });
  });

  describe('a JSON body is read whatever its content type, as the PHP did', () => {
    it('the README logout curl (no Content-Type option: curl labels it a form) ends the session', async () => {
      const { phone, code } = await phoneWithCode();
      const { token } = (await post({ op: 'login', phone, appid: APPID, otp: code })).body as { token: string };
      expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);

      const { stdout } = await promisify(execFile)('curl', ['--silent', '--request', 'POST', '--data', `{"op":"logout","token":"${token}"}`, t.url]);

      expect(JSON.parse(stdout)).toMatchObject({ op: 'logout', result: 'OK' });
      expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(401);
    });

    it.each([
      ['a form type', 'application/x-www-form-urlencoded'],
      ['a form type, relaxed syntax', 'application/x-www-form-urlencoded'],
      ['no type', undefined],
    ])('a login request labelled with %s sends a code', async (label, type) => {
      const phone = String(nextPhone++);
      const body = label.includes('relaxed') ? `{op: 'login', phone: '${phone}', appid: '${APPID}'}` : JSON.stringify({ op: 'login', phone, appid: APPID });
      const req = request(t.url).post('/');
      // supertest would add a type for a string body; a Buffer goes without one.
      const res = type ? await req.set('Content-Type', type).send(body) : await req.send(Buffer.from(body));

      expect(res.body).toMatchObject({ op: 'login', result: 'OK' });
      expect(t.gateway.lastCodeFor(phone)).toMatch(/^\d{6}$/);
    });

    it('real form fields are still read as a form', async () => {
      const phone = String(nextPhone++);
      const res = await post(`op=login&phone=${phone}&appid=${APPID}`, 'application/x-www-form-urlencoded');

      expect(res.body).toMatchObject({ op: 'login', result: 'OK' });
      expect(t.gateway.lastCodeFor(phone)).toMatch(/^\d{6}$/);
    });
  });

  describe('secrets never in URLs', () => {
    it.each(['otp', 'code', 'password', 'token', 'OTP'])('POST /?%s=… is BADREQUEST and spends nothing', async (name) => {
      const { phone, code } = await phoneWithCode();
      const res = await request(t.url)
        .post(`/?${name}=${code}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ op: 'login', phone, appid: APPID }));

      expectBadRequest(res);
      expect(res.body.errmsg).toMatch(/never in the URL/);
      expect((await post({ op: 'login', phone, appid: APPID, otp: code })).body).toMatchObject({ result: 'OK' });
    });

    it('GET /?op=logout&token=… is refused and the session lives on', async () => {
      const { phone, code } = await phoneWithCode();
      const { token } = (await post({ op: 'login', phone, appid: APPID, otp: code })).body as { token: string };

      expectBadRequest(await request(t.url).get('/').query({ op: 'logout', token }), 'logout');
      expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
    });

    it.each([
      ['/v1/me?token=abc', 'get'],
      ['/v1/auth/otp/verify?otp=123456', 'post'],
      ['/v1/auth/email/login?password=secret', 'post'],
      ['/health/live?code=1', 'get'],
    ] as const)('%s is a 400 naming the field', async (path, method) => {
      const res = await request(t.url)[method](path).set('Content-Type', 'application/json').send('{}');

      expectProblem(res, 400, 'invalid_request');
      expect(res.body.detail).toMatch(/never in the URL/);
    });

    it("the OIDC callback still takes the provider's code in the query", async () => {
      const res = await request(t.url).get('/v1/auth/oidc/nobody/callback').query({ code: 'c', state: 's' });

      expect(res.body.detail ?? '').not.toMatch(/URL/);
    });

    it('GET /?op=login is refused: no app logs in with GET, and no code is sent', async () => {
      const phone = String(nextPhone++);
      const res = await request(t.url).get('/').query({ op: 'login', phone, appid: APPID });

      expectBadRequest(res);
      expect(res.body.errmsg).toMatch(/POST/);
      expect(() => t.gateway.lastCodeFor(phone)).toThrow();
    });

    it('GET / with an unsupported op still answers BADOP (old web builds)', async () => {
      expect((await request(t.url).get('/').query({ op: 'getcontacts' })).body).toMatchObject({ op: 'getcontacts', error: 'BADOP' });
    });
  });
});

describe('requests that send a code from a foreign web page are refused', () => {
  let t: TestApp;
  const ALLOWED = 'https://chat.example.com';
  const EVIL = 'https://evil.example.net';

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: ALLOWED });
  });
  afterAll(async () => {
    await t.close();
  });

  let nextPhone = 18005550500;
  const loginBody = (phone: string) => JSON.stringify({ op: 'login', phone, appid: APPID });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
  ])('op API, %s from another origin: BADORIGIN and no SMS', async (_label, type) => {
    const phone = String(nextPhone++);
    const res = await request(t.url).post('/').set('Origin', EVIL).set('Content-Type', type).send(loginBody(phone));

    expect(res.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADORIGIN' });
    expect(() => t.gateway.lastCodeFor(phone)).toThrow();
  });

  it('op API from an allowed origin, or from an app (no Origin), sends the code', async () => {
    const fromPage = String(nextPhone++);
    const fromApp = String(nextPhone++);
    const page = await request(t.url).post('/').set('Origin', ALLOWED).set('Content-Type', 'text/plain').send(loginBody(fromPage));
    const app = await request(t.url).post('/').set('Content-Type', 'application/json').send(loginBody(fromApp));

    expect(page.body).toMatchObject({ result: 'OK' });
    expect(app.body).toMatchObject({ result: 'OK' });
    expect(t.gateway.lastCodeFor(fromPage)).toMatch(/^\d{6}$/);
    expect(t.gateway.lastCodeFor(fromApp)).toMatch(/^\d{6}$/);
  });

  it('op API: verifying a code from another origin is not a send, and goes through the normal checks', async () => {
    const res = await request(t.url)
      .post('/')
      .set('Origin', EVIL)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ op: 'login', phone: String(nextPhone++), appid: APPID, otp: '000000' }));

    expect(res.body.error).not.toBe('BADORIGIN');
  });

  it.each([
    ['/v1/auth/otp', () => ({ phone: String(nextPhone++), appid: APPID })],
    ['/v1/auth/email/register', () => ({ email: 'someone@example.com', password: 'a long enough password 1' })],
    ['/v1/auth/password/forgot', () => ({ email: 'someone@example.com' })],
  ])('REST %s from another origin: 403 origin_not_allowed', async (path, body) => {
    const res = await request(t.url).post(path).set('Origin', EVIL).set('Content-Type', 'application/json').send(JSON.stringify(body()));

    expectProblem(res, 403, 'origin_not_allowed');
    expect(t.gateway.messages).not.toContainEqual(expect.objectContaining({ to: (body() as { phone?: string }).phone }));
  });

  it('REST /v1/auth/otp from the allowed origin sends the code', async () => {
    const phone = String(nextPhone++);
    const res = await request(t.url).post('/v1/auth/otp').set('Origin', ALLOWED).send({ phone, appid: APPID });

    expect(res.status).toBe(202);
    expect(t.gateway.lastCodeFor(phone)).toMatch(/^\d{6}$/);
  });
});

describe('CORS_ENFORCE_ON_SENDS=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://chat.example.com', CORS_ENFORCE_ON_SENDS: 'false' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets any origin request a code, as before', async () => {
    const res = await request(t.url)
      .post('/')
      .set('Origin', 'https://evil.example.net')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ op: 'login', phone: PHONE, appid: APPID }));

    expect(res.body).toMatchObject({ result: 'OK' });
    expect(t.gateway.lastCodeFor(PHONE)).toMatch(/^\d{6}$/);
  });
});
