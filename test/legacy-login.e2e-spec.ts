import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { APP_TOKEN, startTestApp, TestApp } from './support/test-app';

const PHONE = '18005551234';
const APPID = 'com.messenger.appid';

describe('legacy op API (POST /): phone login as the released apps do it', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (body: object | string, type = 'application/json') =>
    request(t.url)
      .post('/')
      .set('Content-Type', type)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  /** Every legacy reply: HTTP 200, JSON, op echoed, string result, integer ts. */
  function expectEnvelope(res: request.Response, op: string, result: 'OK' | 'FAIL') {
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ op, result });
    expect(Number.isInteger(res.body.ts)).toBe(true);
    expect(Math.abs(res.body.ts - Math.floor(t.clock.nowMs() / 1000))).toBeLessThanOrEqual(1);
  }

  async function login(phone = PHONE): Promise<request.Response> {
    expectEnvelope(await post({ op: 'login', phone, appid: APPID }), 'login', 'OK');
    const res = await post({ op: 'login', phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) });
    expectEnvelope(res, 'login', 'OK');
    return res;
  }

  const countRows = async (table: 'users' | 'sessions') =>
    Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('answers the exact curl command of the mesibo documentation', async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '--silent',
      '--header',
      'Content-Type: application/json',
      '--request',
      'POST',
      '--data',
      '{op: "login", phone: "18005551234", appid: "com.messenger.appid"}',
      t.url,
    ]);
    const reply = JSON.parse(stdout);
    expect(reply).toMatchObject({ op: 'login', result: 'OK' });
    expect(Number.isInteger(reply.ts)).toBe(true);
    expect(t.gateway.lastCodeFor(PHONE)).toMatch(/^\d{6}$/);
  });

  it('logs in: the code sent to the phone yields a mesibo token and everything the apps read', async () => {
    const res = await login();
    const { token, phone, urls, share, invite } = res.body;
    expect(phone).toBe(PHONE);
    expect(typeof token).toBe('string');
    expect(urls).toEqual({ upload: expect.any(String), download: expect.any(String) });
    expect(share).toEqual({ text: expect.any(String), subject: expect.any(String), title: expect.any(String) });
    expect(typeof invite).toBe('string');

    // The token is the one mesibo minted for this address and appid, with the configured expiry.
    const user = t.mesibo.users.get(PHONE);
    expect(user?.tokens.get(token)?.appid).toBe(APPID);
    const useradd = t.mesibo.requests.find((r) => r.op === 'useradd');
    expect(useradd?.body.user).toEqual({ address: PHONE, token: { appid: APPID, expiry: 525600 } });

    // One session, holding only a hash of the token.
    const sessions = await t.db.selectFrom('sessions').selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(token);
    expect(sessions[0].app_id).toBe(APPID);
  });

  it('logs the same user in again with a fresh token, keeping one user', async () => {
    const first = (await login()).body.token;
    t.clock.advance(31);
    const second = (await login()).body.token;
    expect(second).not.toBe(first);
    expect(await countRows('users')).toBe(1);
    expect(await countRows('sessions')).toBe(2);
  });

  it('accepts form-encoded, multipart and text/plain bodies, and the old `code` field', async () => {
    const form = await request(t.url).post('/').type('form').send({ op: 'login', phone: PHONE, appid: APPID, dt: '1' });
    expectEnvelope(form, 'login', 'OK');

    const multipart = await request(t.url)
      .post('/')
      .field('op', 'login')
      .field('phone', PHONE)
      .field('appid', APPID)
      .field('code', t.gateway.lastCodeFor(PHONE));
    expectEnvelope(multipart, 'login', 'OK');
    expect(multipart.body.token).toEqual(expect.any(String));

    t.clock.advance(31);
    const text = await post(JSON.stringify({ op: 'LOGIN', phone: PHONE, appid: APPID }), 'text/plain');
    expectEnvelope(text, 'login', 'OK');
  });

  it('takes a phone sent as a number and with a + and spaces', async () => {
    expectEnvelope(await post({ op: 'login', phone: 18005551234, appid: APPID }), 'login', 'OK');
    const res = await post({ op: 'login', phone: '+1 800 555 1234', appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expectEnvelope(res, 'login', 'OK');
    expect(res.body.phone).toBe(PHONE);
  });

  it('refuses the right code after 5 wrong ones', async () => {
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    const code = t.gateway.lastCodeFor(PHONE);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await post({ op: 'login', phone: PHONE, appid: APPID, otp: wrong });
      expectEnvelope(res, 'login', 'FAIL');
      expect(res.body.error).toBe('BADCODE');
      expect(res.body.errmsg).toEqual(expect.any(String));
    }
    const right = await post({ op: 'login', phone: PHONE, appid: APPID, otp: code });
    expectEnvelope(right, 'login', 'FAIL');
    expect(right.body.error).toBe('BADCODE');
    expect(right.body.token).toBeUndefined();
    expect(t.mesibo.users.size).toBe(0);
  });

  it('refuses a code once it has expired', async () => {
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    t.clock.advance(301);
    const res = await post({ op: 'login', phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expectEnvelope(res, 'login', 'FAIL');
    expect(res.body.error).toBe('BADCODE');
  });

  it('holds a resend for 30 seconds, then sends a new code that replaces the old one', async () => {
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    const first = t.gateway.lastCodeFor(PHONE);

    t.clock.advance(10);
    const early = await post({ op: 'login', phone: PHONE, appid: APPID });
    expectEnvelope(early, 'login', 'FAIL');
    expect(early.body.error).toBe('RATELIMITED');
    expect(t.gateway.messages).toHaveLength(1);

    t.clock.advance(21);
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    const second = t.gateway.lastCodeFor(PHONE);
    expect(t.gateway.messages).toHaveLength(2);

    if (first !== second) {
      const old = await post({ op: 'login', phone: PHONE, appid: APPID, otp: first });
      expect(old.body.error).toBe('BADCODE');
    }
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID, otp: second }), 'login', 'OK');
  });

  it('answers SENDFAILED when the SMS gateway fails, and lets the user ask again at once', async () => {
    t.gateway.failNext(1);
    const failed = await post({ op: 'login', phone: PHONE, appid: APPID });
    expectEnvelope(failed, 'login', 'FAIL');
    expect(failed.body.error).toBe('SENDFAILED');
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
  });

  it('logs out (twice, both OK); the old token no longer opens /v1/me; mesibo drops the token', async () => {
    const { token } = (await login()).body;
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);

    expectEnvelope(await post({ op: 'logout', token }), 'logout', 'OK');
    expectEnvelope(await post({ op: 'logout', token }), 'logout', 'OK');
    expectEnvelope(await post({ op: 'logout', token: 'never-issued-token-value' }), 'logout', 'OK');
    expectEnvelope(await post({ op: 'logout' }), 'logout', 'OK');

    const me = await request(t.url).get('/v1/me').auth(token, { type: 'bearer' });
    expect(me.status).toBe(401);
    expect(t.mesibo.findUserByToken(token)).toBeUndefined();
  });

  it('answers MESIBOUNAVAILABLE when mesibo is down, and writes no user or session', async () => {
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    await t.mesibo.stop();
    const res = await post({ op: 'login', phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expectEnvelope(res, 'login', 'FAIL');
    expect(res.body.error).toBe('MESIBOUNAVAILABLE');
    expect(await countRows('sessions')).toBe(0);
    expect(await countRows('users')).toBe(0);
  });

  it('answers BADAPP (never AUTHFAIL, which signs users out) when mesibo refuses the App Token', async () => {
    await t.close();
    t = await startTestApp({ MESIBO_APP_TOKEN: 'a-wrong-app-token-value' });
    expectEnvelope(await post({ op: 'login', phone: PHONE, appid: APPID }), 'login', 'OK');
    const res = await post({ op: 'login', phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expectEnvelope(res, 'login', 'FAIL');
    expect(res.body.error).toBe('BADAPP');
    expect(await countRows('sessions')).toBe(0);
  });

  it('answers a CORS preflight with 204 and the headers a browser needs', async () => {
    const res = await request(t.url)
      .options('/')
      .set('Origin', 'https://web.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('content-type');
  });

  describe('bad input gets a FAIL envelope, never a 500', () => {
    it.each([
      ['not JSON at all', '{op: login, phone', 'application/json'],
      ['an array', '[{"op":"login"}]', 'application/json'],
      ['a number', '42', 'application/json'],
      ['a string', '"login"', 'application/json'],
      ['null', 'null', 'application/json'],
      ['an empty body', '', 'application/json'],
      ['no op', '{"phone":"18005551234","appid":"x"}', 'application/json'],
      ['an object as a field', '{"op":"login","phone":{"n":1},"appid":"x"}', 'application/json'],
      ['an array as a field', '{"op":"login","phone":["1"],"appid":"x"}', 'application/json'],
    ])('%s → BADREQUEST', async (_name, body, type) => {
      const res = await post(body, type);
      expect(res.status).toBe(200);
      expect(res.body.result).toBe('FAIL');
      expect(res.body.error).toBe('BADREQUEST');
      expect(typeof res.body.op).toBe('string');
      expect(Number.isInteger(res.body.ts)).toBe(true);
    });

    it('a body over the size limit → BADREQUEST', async () => {
      const res = await post({ op: 'login', phone: PHONE, appid: APPID, pad: 'x'.repeat(200 * 1024) });
      // The body was never read, so there is no op to echo; the field is still there.
      expectEnvelope(res, '', 'FAIL');
      expect(res.body.error).toBe('BADREQUEST');
    });

    it('no appid → MISSINGAPPID; a bad phone → BADPHONE; an unknown op → BADOP', async () => {
      const noAppid = await post({ op: 'login', phone: PHONE });
      expectEnvelope(noAppid, 'login', 'FAIL');
      expect(noAppid.body.error).toBe('MISSINGAPPID');

      for (const phone of ['12', 'not-a-phone', '']) {
        const bad = await post({ op: 'login', phone, appid: APPID });
        expectEnvelope(bad, 'login', 'FAIL');
        expect(bad.body.error).toBe('BADPHONE');
      }

      const unknown = await post({ op: 'getcontacts', token: 'x' });
      expectEnvelope(unknown, 'getcontacts', 'FAIL');
      expect(unknown.body.error).toBe('BADOP');
      expect(t.gateway.messages).toHaveLength(0);
    });
  });

  it('never writes a code, a user token or the App Token to the log', async () => {
    const { token } = (await login()).body;
    const code = t.gateway.lastCodeFor(PHONE);
    await post({ op: 'login', phone: PHONE, appid: APPID, otp: '999999' });
    await t.mesibo.stop();
    t.clock.advance(31);
    await post({ op: 'login', phone: PHONE, appid: APPID });
    await post({ op: 'login', phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });

    const log = t.logs.lines.join('\n');
    expect(t.logs.lines.length).toBeGreaterThan(0);
    expect(log).not.toContain(code);
    expect(log).not.toContain(token);
    expect(log).not.toContain(APP_TOKEN);
  });
});
