import request from 'supertest';
import { openDatabase } from '../src/database/connection';
import { MesiboSimulator } from '../src/mesibo-simulator/mesibo-simulator';
import { AppProcess, startAppProcess } from './support/app-process';
import { SmsGateway } from './support/sms-gateway';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { randomBytes } from 'node:crypto';
import { signTicket } from '../src/methods/ticket/ticket-verifier';

const PHONE = '18005551234';
const APPID = 'com.mesibo.firstapp';
const APP_TOKEN = 'multi-instance-app-token';
const SENDS_PER_IP = 8;
const TICKET_SECRET = 'ticket-secret-of-both-instances-0123456789';

/**
 * Two processes of the service over one database (and one Redis when E2E_REDIS_URL is set), as
 * behind a load balancer: every limit and every session must be shared.
 */
describe('two instances of the service', () => {
  let database: TestDatabase;
  let mesibo: MesiboSimulator;
  let gateway: SmsGateway;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    mesibo = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
    gateway = await new SmsGateway().start();
    const env = {
      DATABASE_URL: database.url,
      MESIBO_API_URL: mesibo.url,
      MESIBO_APP_TOKEN: APP_TOKEN,
      OTP_SECRET: 'shared-otp-secret-of-both-instances-0123',
      OTP_SENDER: 'webhook',
      OTP_WEBHOOK_URL: gateway.url,
      REDIS_URL: process.env.E2E_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `e2e-${randomBytes(6).toString('hex')}:`,
      OTP_MAX_SENDS_PER_IP_PER_WINDOW: String(SENDS_PER_IP),
      // As behind a load balancer on this host: the client IP comes from X-Forwarded-For.
      TRUST_PROXY: 'loopback',
      // The per-client request throttle has tests of its own; here the code budgets are under test.
      THROTTLE_LIMIT: '1000000',
      TICKET_LOGIN_SECRET: TICKET_SECRET,
    };
    // One after the other: the first applies the migrations (starting both at once is covered by the migration lock).
    a = await startAppProcess(env);
    b = await startAppProcess(env);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mesibo.stop();
    await gateway.stop();
    await database.drop();
  });

  const otp = (app: AppProcess, phone: string) => request(app.url).post('/v1/auth/otp').send({ phone, appid: APPID });
  const verify = (app: AppProcess, phone: string, code: string) =>
    request(app.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: code });

  it('verifies on B a code requested on A, and sees on A a logout made on B', async () => {
    expect((await otp(a, PHONE)).status).toBe(202);
    const res = await verify(b, PHONE, gateway.lastCodeFor(PHONE));
    expect(res.status).toBe(200);
    const token = res.body.token as string;

    expect((await request(a.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
    expect((await request(b.url).post('/').send({ op: 'logout', token })).body.result).toBe('OK');
    expect((await request(a.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(401);
  });

  it('enforces the resend cooldown across instances', async () => {
    const phone = '14155550101';
    expect((await otp(a, phone)).status).toBe(202);
    const second = await otp(b, phone);
    expect(second.status).toBe(429);
    expect(gateway.messages.filter((m) => m.to === phone)).toHaveLength(1);
  });

  it('adds up wrong tries made on both instances', async () => {
    const phone = '14155550102';
    expect((await otp(b, phone)).status).toBe(202);
    const code = gateway.lastCodeFor(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    for (const app of [a, b, a, b, a]) expect((await verify(app, phone, wrong)).status).toBe(401);
    // Five wrong tries in all, so the code is dead on either instance.
    const right = await verify(b, phone, code);
    expect(right.status).toBe(401);
    expect(right.body.code).toBe('invalid_code');
  });

  it('counts the codes one client has sent through both instances against one limit', async () => {
    const client = '203.0.113.9';
    const from = (app: AppProcess, phone: string) =>
      request(app.url).post('/v1/auth/otp').set('X-Forwarded-For', client).send({ phone, appid: APPID });
    for (let i = 0; i < SENDS_PER_IP; i++) expect((await from(i % 2 === 0 ? a : b, `1415555020${i}`)).status).toBe(202);
    expect((await from(a, '14155550299')).status).toBe(429);
    expect((await from(b, '14155550298')).status).toBe(429);
    // Another client is not held back.
    expect((await otp(b, '14155550297')).status).toBe(202);
  });

  it('compares at most 5 of 200 concurrent wrong codes sent to both instances by 200 clients', async () => {
    const phone = '14155550104';
    expect((await otp(a, phone)).status).toBe(202);
    const code = gateway.lastCodeFor(phone);
    const guesses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request((i % 2 === 0 ? a : b).url)
          .post('/v1/auth/otp/verify')
          .set('X-Forwarded-For', `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`)
          .send({ phone, appid: APPID, otp: `${code.slice(0, -1)}${(Number(code.at(-1)) + 1 + (i % 9)) % 10}` }),
      ),
    );
    expect(guesses.filter((res) => res.status >= 500)).toEqual([]);
    expect(guesses.every((res) => res.status === 401 || res.status === 429)).toBe(true);
    // Five of the code's tries compared; then even the right code is refused, on either instance.
    const db = openDatabase(database.url, { poolMax: 1 });
    try {
      const pending = await db.selectFrom('otp_challenges').select('attempts').where('destination', '=', phone).executeTakeFirstOrThrow();
      expect(Number(pending.attempts)).toBe(5);
    } finally {
      await db.destroy();
    }
    const right = await verify(b, phone, code);
    expect([401, 429]).toContain(right.status);
    expect(mesibo.users.has(phone)).toBe(false);
  }, 60_000);

  it('lets one of 200 concurrent logins with one single-use ticket through, across both instances', async () => {
    const expires = String(Math.floor(Date.now() / 1000) + 120);
    const ticket = { user: 'two-instances', expires, signature: signTicket(TICKET_SECRET, 'two-instances', expires), appid: APPID };
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => request((i % 2 === 0 ? a : b).url).post('/v1/auth/ticket/login').send(ticket)),
    );
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    expect(answers.filter((res) => res.status === 401)).toHaveLength(199);
  }, 60_000);

  it('sends exactly one SMS for 200 concurrent requests for one number through both instances', async () => {
    const phone = '14155550105';
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request((i % 2 === 0 ? a : b).url)
          .post('/v1/auth/otp')
          .set('X-Forwarded-For', `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`)
          .send({ phone, appid: APPID }),
      ),
    );
    expect(responses.filter((res) => res.status === 202)).toHaveLength(1);
    expect(responses.filter((res) => res.status === 429)).toHaveLength(199);
    expect(gateway.messages.filter((m) => m.to === phone)).toHaveLength(1);
  }, 60_000);

  it('has at most the per-client number of codes sent for a burst of 200 from one client through both instances', async () => {
    const client = '203.0.113.10';
    const before = gateway.messages.length;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request((i % 2 === 0 ? a : b).url)
          .post('/v1/auth/otp')
          .set('X-Forwarded-For', client)
          .send({ phone: `1415555${String(3000 + i)}`, appid: APPID }),
      ),
    );
    expect(responses.filter((res) => res.status === 202)).toHaveLength(SENDS_PER_IP);
    expect(responses.filter((res) => res.status === 429)).toHaveLength(200 - SENDS_PER_IP);
    expect(gateway.messages.length - before).toBe(SENDS_PER_IP);
  }, 60_000);

  it('finishes a request in flight when stopped with SIGTERM, then exits cleanly', async () => {
    const phone = '14155550103';
    expect((await otp(a, phone)).status).toBe(202);
    mesibo.delayMs = 1000;
    const inFlight = verify(a, phone, gateway.lastCodeFor(phone)).then((res) => res);
    await new Promise((done) => setTimeout(done, 300));
    const exit = a.stop();
    const res = await inFlight;
    mesibo.delayMs = 0;
    expect(res.status).toBe(200);
    expect(await exit).toBe(0);
    // The other instance carries on.
    expect((await request(b.url).get('/v1/me').auth(res.body.token as string, { type: 'bearer' })).status).toBe(200);
  });
});
