import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const PHONE = '18005551234';
const APPID = 'com.mesibo.firstapp';

describe('REST API (/v1): the same phone login with status codes and problem+json', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const api = () => request(t.url);

  function expectProblem(res: request.Response, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  }

  async function requestCode(phone = PHONE): Promise<string> {
    const res = await api().post('/v1/auth/otp').send({ phone, appid: APPID });
    expect(res.status).toBe(202);
    return t.gateway.lastCodeFor(res.body.phone);
  }

  async function login(): Promise<string> {
    const otp = await requestCode();
    const res = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp });
    expect(res.status).toBe(200);
    return res.body.token as string;
  }

  it('requests a code: 202 with the normalized phone, expiry and resend delay', async () => {
    const res = await api().post('/v1/auth/otp').send({ phone: '+1 (800) 555-1234', appid: APPID });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      phone: PHONE,
      expiresAt: new Date(t.clock.nowMs() + 300_000).toISOString(),
      resendAfterSeconds: 30,
    });
    expect(t.gateway.messages).toEqual([
      { to: PHONE, code: expect.stringMatching(/^\d{6}$/), text: expect.stringContaining(t.gateway.lastCodeFor(PHONE)), channel: 'sms' },
    ]);
  });

  it('verifies the code, serves /v1/me with the token, and logs out idempotently', async () => {
    const otp = await requestCode();
    const res = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp, device: 'pixel-8' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      token: expect.any(String),
      phone: PHONE,
      address: PHONE,
      newUser: true,
      expiresAt: new Date(t.clock.nowMs() + 525600 * 60_000).toISOString(),
      share: { text: expect.any(String), subject: expect.any(String), title: expect.any(String) },
    });
    const token = res.body.token as string;
    expect(t.mesibo.users.get(PHONE)?.tokens.has(token)).toBe(true);

    const me = await api().get('/v1/me').auth(token, { type: 'bearer' });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      address: PHONE,
      identities: [{ method: 'phone', subject: PHONE, verified: true }],
      session: { appid: APPID },
    });

    expect((await api().post('/v1/auth/logout').auth(token, { type: 'bearer' })).status).toBe(204);
    expect((await api().post('/v1/auth/logout').auth(token, { type: 'bearer' })).status).toBe(204);
    expectProblem(await api().get('/v1/me').auth(token, { type: 'bearer' }), 401, 'invalid_token');
  });

  it('401 for /v1/me without a token, with an unknown one, and after the session expired', async () => {
    expectProblem(await api().get('/v1/me'), 401, 'invalid_token');
    expectProblem(await api().get('/v1/me').auth('nope', { type: 'bearer' }), 401, 'invalid_token');
    expectProblem(await api().post('/v1/auth/logout'), 401, 'invalid_token');

    const token = await login();
    t.clock.advance(525600 * 60 + 1);
    expectProblem(await api().get('/v1/me').auth(token, { type: 'bearer' }), 401, 'invalid_token');
  });

  it("401 invalid_code for a wrong code, and 429 with Retry-After once this client's hourly budget is spent", async () => {
    const otp = await requestCode();
    const wrong = otp === '000000' ? '111111' : '000000';
    expectProblem(await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: wrong }), 401, 'invalid_code');

    // 10 wrong tries an hour per phone and client, across resends: 5 per code kills it, a resend does not reset the count.
    for (let i = 0; i < 4; i++) await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: wrong });
    t.clock.advance(31);
    await requestCode();
    for (let i = 0; i < 5; i++) await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: wrong });

    t.clock.advance(31);
    const third = await requestCode();
    const locked = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: third });
    expectProblem(locked, 429, 'rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(3000);

    t.clock.advance(3600);
    const otpAfter = await requestCode();
    expect((await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: otpAfter })).status).toBe(200);
  });

  it('keeps the code usable when mesibo fails: the retry with the same code logs in', async () => {
    const otp = await requestCode();
    // The call and its one retry (MESIBO_RETRIES=1) both fail.
    t.mesibo.failNext(2, 503);
    expectProblem(await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp }), 503, 'mesibo_unavailable');
    const retry = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp });
    expect(retry.status).toBe(200);
    // Used up by the login that worked.
    expectProblem(await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp }), 401, 'invalid_code');
  });

  it('429 with Retry-After for a resend within the cooldown', async () => {
    await requestCode();
    t.clock.advance(12);
    const res = await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID });
    expectProblem(res, 429, 'rate_limited');
    expect(res.headers['retry-after']).toBe('18');
  });

  it('429 after 5 codes to one number in an hour, even with the cooldown respected', async () => {
    for (let i = 0; i < 5; i++) {
      await requestCode();
      t.clock.advance(31);
    }
    const res = await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID });
    expectProblem(res, 429, 'rate_limited');
    expect(t.gateway.messages).toHaveLength(5);
  });

  it('validates input before touching the code: an unknown field is a 400 and the code still works', async () => {
    const otp = await requestCode();
    const res = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp, admin: true });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors).toEqual([expect.stringContaining('admin')]);
    expect((await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp })).status).toBe(200);
  });

  it.each([
    ['missing appid', { phone: PHONE }, 'invalid_request'],
    ['phone of the wrong type', { phone: 18005551234, appid: APPID }, 'invalid_request'],
    ['a phone that is not one', { phone: '12345', appid: APPID }, 'invalid_phone'],
  ])('400 for %s', async (_name, body, code) => {
    expectProblem(await api().post('/v1/auth/otp').send(body), 400, code);
  });

  it('400 for a body that is not JSON or not an object, 413 over the size limit', async () => {
    expectProblem(await api().post('/v1/auth/otp').set('content-type', 'application/json').send('{phone:'), 400, 'invalid_request');
    expectProblem(await api().post('/v1/auth/otp').set('content-type', 'application/json').send('[1,2]'), 400, 'invalid_request');
    expectProblem(await api().post('/v1/auth/otp').set('content-type', 'application/json').send('7'), 400, 'invalid_request');
    const big = await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID, pad: 'x'.repeat(200 * 1024) });
    expectProblem(big, 413, 'invalid_request');
  });

  it('503 when mesibo is unreachable and 502 when it refuses the App Token; no session either way', async () => {
    const otp = await requestCode();
    await t.mesibo.stop();
    expectProblem(await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp }), 503, 'mesibo_unavailable');

    await t.close();
    t = await startTestApp({ MESIBO_APP_TOKEN: 'a-wrong-app-token-value' });
    const otp2 = await requestCode();
    expectProblem(await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: otp2 }), 502, 'mesibo_misconfigured');
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('shares one path with the op API: a code requested there is verified here', async () => {
    const legacy = await api().post('/').send({ op: 'login', phone: PHONE, appid: APPID });
    expect(legacy.body.result).toBe('OK');
    const res = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expect(res.status).toBe(200);
  });

  it('404 problem for an unknown route, and an OpenAPI document listing the endpoints', async () => {
    expectProblem(await api().get('/v1/nothing-here'), 404, 'not_found');
    const doc = await api().get('/docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/otp', '/v1/auth/otp/verify', '/v1/auth/logout', '/v1/me']),
    );
    // The op API is documented too, under its own tag (test/api-docs.e2e-spec.ts checks it in depth).
    expect(doc.body.paths['/'].post.tags).toEqual(['op API (released apps)']);
  });
});
