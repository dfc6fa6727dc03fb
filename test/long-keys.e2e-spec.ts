import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';

/**
 * Counter keys hold identifiers that may be as long as their fields allow (a 254-character email,
 * an IPv6 client address): every budget still works on every engine, whose key column is 255.
 */
describe('budgets keyed by the longest identifiers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'loopback', USERNAME_LOGIN: 'true' });
  });
  afterAll(() => t.close());

  const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
  const client = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe';

  it('answers wrong passwords for a 254-character email from an IPv6 client as for any other', async () => {
    expect(longEmail).toHaveLength(254);
    for (let i = 0; i < 11; i++) {
      const res = await request(t.url).post('/v1/auth/email/login').set('X-Forwarded-For', client).send({ email: longEmail, password: `wrong ${i}`, appid: APPID });
      expect([res.status, res.body.code]).toEqual(i < 10 ? [401, 'invalid_credentials'] : [429, 'rate_limited']);
    }
  });

  it('registers a 254-character email (send budgets keyed by it) without a server error', async () => {
    const res = await request(t.url).post('/v1/auth/email/register').set('X-Forwarded-For', client).send({ email: longEmail, password: 'correct horse battery staple' });
    expect(res.status).toBe(202);
  });

  it('answers wrong passwords for a 64-character username from an IPv6 client', async () => {
    const username = 'u'.repeat(64);
    for (let i = 0; i < 11; i++) {
      const res = await request(t.url).post('/v1/auth/username/login').set('X-Forwarded-For', client).send({ username, password: `wrong ${i}`, appid: APPID });
      expect(res.status).toBe(i < 10 ? 401 : 429);
    }
  });
});
