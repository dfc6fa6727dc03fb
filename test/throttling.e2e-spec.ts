import { randomBytes } from 'node:crypto';
import { watchArgon2Verifications } from './support/argon2-in-flight';
import request from 'supertest';
import { MesiboSimulator } from '../src/mesibo-simulator/mesibo-simulator';
import { AppProcess, startAppProcess } from './support/app-process';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { APP_TOKEN, startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';

/** Settings every app of this spec starts with; each test names what it changes. */
const BASE = {
  THROTTLE_LIMIT: '20',
  THROTTLE_WINDOW_SECONDS: '60',
  TRUST_PROXY: 'loopback',
  CLIENT_IPV6_PREFIX: '64',
  PASSWORD_HASH_CONCURRENCY: '2',
  PASSWORD_HASH_QUEUE_LIMIT: '1000',
};

type Answer = { status: number; headers: Record<string, string>; body: Record<string, unknown> };

/** An answer of either surface that the throttle refused: 429 problem+json, or the op API's RATELIMITED envelope. */
function isThrottled(res: Answer): boolean {
  return res.status === 429 || (res.status === 200 && res.body.error === 'RATELIMITED');
}

/**
 * Per-client limits on the unauthenticated endpoints (REST /v1/auth/… and the op API at /), kept
 * in the shared counter store: on whichever engine E2E_DATABASE_URL names, and Redis with E2E_REDIS_URL.
 */
describe('throttling of unauthenticated endpoints', () => {
  let t: TestApp | undefined;

  afterEach(async () => {
    jest.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    t = await startTestApp({ ...BASE, ...env });
    return t;
  }

  // Cheap requests of both surfaces: a REST call refused by validation, and an unknown op.
  const restCall = (app: TestApp, from?: string) => {
    const req = request(app.url).post('/v1/auth/otp/verify').send({});
    return from ? req.set('X-Forwarded-For', from) : req;
  };
  const opCall = (app: TestApp, from?: string) => {
    const req = request(app.url).post('/').send({ op: 'nosuchop' });
    return from ? req.set('X-Forwarded-For', from) : req;
  };

  describe('a burst of 240 concurrent requests from one client', () => {
    it('serves exactly THROTTLE_LIMIT of them and answers the rest 429 rate_limited with Retry-After, on both surfaces', async () => {
      const app = await start();
      const answers = (await Promise.all(
        Array.from({ length: 240 }, (_, i) => (i % 2 === 0 ? restCall(app) : opCall(app))),
      )) as unknown as Answer[];

      const throttled = answers.filter(isThrottled);
      const served = answers.filter((res) => !isThrottled(res));
      expect(served).toHaveLength(20);
      expect(throttled).toHaveLength(220);
      // Served ones got their ordinary answers.
      for (const res of served) {
        if (res.status === 200) expect(res.body).toMatchObject({ op: 'nosuchop', result: 'FAIL', error: 'BADOP' });
        else expect(res.body).toMatchObject({ status: 400, code: 'invalid_request' });
      }

      const rest = throttled.filter((res) => res.status === 429);
      const ops = throttled.filter((res) => res.status === 200);
      expect(rest.length).toBeGreaterThan(0);
      expect(ops.length).toBeGreaterThan(0);
      for (const res of rest) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 429, code: 'rate_limited', detail: expect.any(String) });
        expect(res.headers['retry-after']).toBe('60');
      }
      for (const res of ops) {
        // The envelope the apps parse, as for every other op API failure.
        expect(res.body).toEqual({ op: 'nosuchop', ts: expect.any(Number), result: 'FAIL', error: 'RATELIMITED', errmsg: expect.any(String) });
        expect(res.headers['retry-after']).toBe('60');
      }
    }, 120_000);

    it('counts the client across both surfaces, lets it in again when the window ends, and tells how long to wait', async () => {
      const app = await start({ THROTTLE_LIMIT: '3' });
      expect(isThrottled((await restCall(app)) as unknown as Answer)).toBe(false);
      expect(isThrottled((await opCall(app)) as unknown as Answer)).toBe(false);
      expect(isThrottled((await restCall(app)) as unknown as Answer)).toBe(false);
      app.clock.advance(45);
      const refused = await opCall(app);
      expect(refused.body).toMatchObject({ result: 'FAIL', error: 'RATELIMITED' });
      expect(refused.headers['retry-after']).toBe('15');
      expect((await restCall(app)).status).toBe(429);

      app.clock.advance(15);
      expect((await restCall(app)).status).toBe(400);
    });

    it('op API: every rate limit, not only the throttle, comes with Retry-After', async () => {
      const app = await start({ THROTTLE_LIMIT: '1000' });
      const login = { op: 'login', phone: '14155550123', appid: APPID };
      expect((await request(app.url).post('/').send(login)).body).toMatchObject({ result: 'OK' });
      // The resend cooldown of the number.
      const again = await request(app.url).post('/').send(login);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ result: 'FAIL', error: 'RATELIMITED' });
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('does not throttle health checks, the API docs or logged-in routes, nor count them', async () => {
      const app = await start({ THROTTLE_LIMIT: '2' });
      const others = await Promise.all(
        Array.from({ length: 30 }, (_, i) => request(app.url).get(['/health/live', '/docs/openapi.json', '/v1/me'][i % 3])),
      );
      expect(others.map((res) => res.status).sort()).toEqual([...Array<number>(10).fill(200), ...Array<number>(10).fill(200), ...Array<number>(10).fill(401)]);

      // The budget is still whole.
      expect((await restCall(app)).status).toBe(400);
      expect((await restCall(app)).status).toBe(400);
      expect((await restCall(app)).status).toBe(429);
      expect((await request(app.url).get('/health/live')).status).toBe(200);
    });

    it('gives every other client its own budget', async () => {
      const app = await start({ THROTTLE_LIMIT: '2' });
      for (let i = 0; i < 3; i++) await restCall(app, '203.0.113.1');
      expect((await restCall(app, '203.0.113.1')).status).toBe(429);
      expect((await restCall(app, '203.0.113.2')).status).toBe(400);
    });
  });

  describe('IPv6 clients (X-Forwarded-For through a trusted loopback proxy)', () => {
    const sameSlash64 = (i: number) => `2001:db8:aa:1::${(i + 1).toString(16)}`;
    const ownSlash64 = (i: number) => `2001:db8:aa:${(i + 2).toString(16)}::1`;

    it('counts 25 addresses of one /64 as one client, and 25 different /64s as 25 clients', async () => {
      const app = await start({ THROTTLE_LIMIT: '5' });
      const oneNetwork = await Promise.all(Array.from({ length: 25 }, (_, i) => restCall(app, sameSlash64(i))));
      expect(oneNetwork.filter((res) => res.status === 400)).toHaveLength(5);
      expect(oneNetwork.filter((res) => res.status === 429)).toHaveLength(20);

      const manyNetworks = await Promise.all(Array.from({ length: 25 }, (_, i) => restCall(app, ownSlash64(i))));
      expect(manyNetworks.map((res) => res.status)).toEqual(Array<number>(25).fill(400));
    });

    it('groups by CLIENT_IPV6_PREFIX', async () => {
      const app = await start({ THROTTLE_LIMIT: '5', CLIENT_IPV6_PREFIX: '48' });
      const oneSlash48 = await Promise.all(Array.from({ length: 25 }, (_, i) => restCall(app, ownSlash64(i))));
      expect(oneSlash48.filter((res) => res.status === 400)).toHaveLength(5);
    });

    it('counts IPv4-mapped IPv6 as the IPv4 address', async () => {
      const app = await start({ THROTTLE_LIMIT: '2' });
      expect((await restCall(app, '198.51.100.7')).status).toBe(400);
      expect((await restCall(app, '::ffff:198.51.100.7')).status).toBe(400);
      expect((await restCall(app, '::ffff:c633:6407')).status).toBe(429);
    });

    it('sends codes for at most OTP_MAX_SENDS_PER_IP_PER_WINDOW numbers per /64, on both surfaces', async () => {
      const app = await start({ THROTTLE_LIMIT: '1000', OTP_MAX_SENDS_PER_IP_PER_WINDOW: '3' });
      const phones = Array.from({ length: 8 }, (_, i) => `1415555011${i}`);
      for (const [i, phone] of phones.entries()) {
        const from = sameSlash64(i * 1000);
        if (i % 2 === 0) await request(app.url).post('/v1/auth/otp').set('X-Forwarded-For', from).send({ phone, appid: APPID });
        else await request(app.url).post('/').set('X-Forwarded-For', from).send({ op: 'login', phone, appid: APPID });
      }
      expect(app.gateway.messages).toHaveLength(3);

      // Another /64 has its own.
      await request(app.url).post('/v1/auth/otp').set('X-Forwarded-For', ownSlash64(0)).send({ phone: '14155550199', appid: APPID });
      expect(app.gateway.messages).toHaveLength(4);
    });
  });

  describe('TRUST_PROXY', () => {
    const WARNING = /TRUST_PROXY=true takes the client IP from the leftmost X-Forwarded-For/;

    it('warns at start-up when it is true, since any client can then choose its address', async () => {
      const app = await start({ TRUST_PROXY: 'true' });
      expect(app.logs.lines.some((line) => WARNING.test(line))).toBe(true);
    });

    it('does not warn for a hop count', async () => {
      const app = await start({ TRUST_PROXY: '1' });
      expect(app.logs.lines.some((line) => WARNING.test(line))).toBe(false);
    });

    it('with TRUST_PROXY=1, a client cannot escape its budget by sending its own X-Forwarded-For', async () => {
      const app = await start({ TRUST_PROXY: '1', THROTTLE_LIMIT: '3' });
      // The proxy (here: none, so the test client itself is the one hop) appends the real address;
      // what the client wrote to the left of it is ignored.
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => restCall(app, `198.51.100.${i + 1}, 203.0.113.50`)));
      expect(answers.filter((res) => res.status === 400)).toHaveLength(3);
    });
  });

  describe('password hashing', () => {
    const argon2 = watchArgon2Verifications();

    const emailLogin = (app: TestApp, i: number, from: string) =>
      request(app.url)
        .post('/v1/auth/email/login')
        .set('X-Forwarded-For', from)
        .send({ email: `nobody-${i}@example.com`, password: `a guess number ${i}`, appid: APPID });

    it('never has more than PASSWORD_HASH_CONCURRENCY hashes in flight, however many logins arrive at once', async () => {
      const app = await start({ THROTTLE_LIMIT: '1000', PASSWORD_HASH_CONCURRENCY: '2' });
      const answers = await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => emailLogin(app, i, `198.51.100.${i + 1}`)),
        ...Array.from({ length: 10 }, (_, i) =>
          request(app.url)
            .post('/')
            .set('X-Forwarded-For', `198.51.100.${i + 101}`)
            .send({ op: 'login', appid: APPID, email: `other-${i}@example.com`, password: `a guess number ${i}` }),
        ),
      ]);

      expect(answers.slice(0, 30).map((res) => res.status)).toEqual(Array<number>(30).fill(401));
      for (const res of answers.slice(30)) expect(res.body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
      expect(argon2.peak()).toBeGreaterThan(0);
      expect(argon2.peak()).toBeLessThanOrEqual(2);
    }, 120_000);

    it('refuses logins beyond PASSWORD_HASH_QUEUE_LIMIT with 503 instead of queueing them all', async () => {
      // Slow hashes, so the burst certainly piles up behind the one slot.
      const app = await start({
        THROTTLE_LIMIT: '1000',
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE_LIMIT: '2',
        PASSWORD_MEMORY_KIB: '65536',
        PASSWORD_TIME_COST: '6',
      });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => emailLogin(app, i, `198.51.100.${i + 1}`)));

      const statuses = answers.map((res) => res.status);
      expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
      expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
      for (const res of answers.filter((res) => res.status === 503)) expect(res.body).toMatchObject({ code: 'service_unavailable' });
      expect(argon2.peak()).toBe(1);
    }, 120_000);
  });

  describe('two instances over one database (and Redis with E2E_REDIS_URL)', () => {
    let database: TestDatabase;
    let mesibo: MesiboSimulator;
    let instances: AppProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase();
      mesibo = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
      const env = {
        ...BASE,
        THROTTLE_LIMIT: '10',
        DATABASE_URL: database.url,
        MESIBO_API_URL: mesibo.url,
        MESIBO_APP_TOKEN: APP_TOKEN,
        OTP_SECRET: 'throttling-otp-secret-of-both-instances-01',
        REDIS_URL: process.env.E2E_REDIS_URL ?? '',
        REDIS_KEY_PREFIX: `e2e-${randomBytes(6).toString('hex')}:`,
      };
      // One after the other: the first applies the migrations.
      instances.push(await startAppProcess(env));
      instances.push(await startAppProcess(env));
    }, 120_000);
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      instances = [];
      await mesibo?.stop();
      await database?.drop();
    });

    it('share one budget per client: 120 concurrent requests spread over both get exactly THROTTLE_LIMIT served', async () => {
      const answers = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          request(instances[i % 2].url).post('/v1/auth/otp/verify').set('X-Forwarded-For', '203.0.113.77').send({}),
        ),
      );
      expect(answers.filter((res) => res.status === 400)).toHaveLength(10);
      expect(answers.filter((res) => res.status === 429)).toHaveLength(110);
    }, 60_000);
  });
});
