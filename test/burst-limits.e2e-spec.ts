import request from 'supertest';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const PHONE = '18005551234';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

/** A code of the same length that is certainly not `code`. */
function wrongCode(code: string, salt = 1): string {
  const last = (Number(code.at(-1)) + (salt % 9) + 1) % 10;
  return `${code.slice(0, -1)}${last}`;
}

/** A distinct documentation address per index, as the client address behind the (trusted) proxy. */
function clientAddress(index: number): string {
  return `203.0.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

function statuses(responses: Array<{ status: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * Every budget is claimed before the work it guards, so a burst of concurrent requests gets no
 * more than one request at a time would: on whichever engine E2E_DATABASE_URL names (and Redis
 * with E2E_REDIS_URL).
 */
describe('limits under a burst of concurrent requests', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      // The client address comes from X-Forwarded-For, so one test can be many clients.
      TRUST_PROXY: 'loopback',
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await inbox?.stop();
  });

  const api = () => request(t.url);
  /** How many of its tries the pending code has had compared. */
  const triesTaken = async (channel: string, destination: string): Promise<number> => {
    const row = await t.db.selectFrom('otp_challenges').select('attempts').where('channel', '=', channel).where('destination', '=', destination).executeTakeFirstOrThrow();
    return Number(row.attempts);
  };

  it('compares at most 5 of 200 concurrent wrong codes, from 200 clients, then refuses the right code', async () => {
    expect((await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID })).status).toBe(202);
    const code = t.gateway.lastCodeFor(PHONE);

    const guesses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api()
          .post('/v1/auth/otp/verify')
          .set('X-Forwarded-For', clientAddress(i))
          .send({ phone: PHONE, appid: APPID, otp: wrongCode(code, i) }),
      ),
    );
    expect(guesses.filter((res) => res.status >= 500)).toEqual([]);
    expect(await triesTaken('sms', PHONE)).toBe(5);
    expect(guesses.every((res) => res.status === 401 || res.status === 429)).toBe(true);

    const right = await api().post('/v1/auth/otp/verify').set('X-Forwarded-For', '198.51.100.1').send({ phone: PHONE, appid: APPID, otp: code });
    expect([401, 429]).toContain(right.status);
    expect(t.mesibo.users.has(PHONE)).toBe(false);
  }, 60_000);

  it('sends exactly one SMS for a burst of 200 requests for one number, and never answers 5xx', async () => {
    const phone = '14155550101';
    const sentBefore = t.gateway.messages.length;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api().post('/v1/auth/otp').set('X-Forwarded-For', clientAddress(i)).send({ phone, appid: APPID }),
      ),
    );
    expect(statuses(responses)).toEqual({ 202: 1, 429: 199 });
    expect(responses.filter((res) => res.status === 429).every((res) => Number(res.headers['retry-after']) > 0)).toBe(true);
    expect(t.gateway.messages.slice(sentBefore).filter((m) => m.to === phone)).toHaveLength(1);
  }, 60_000);

  it('has at most 20 codes sent for one client in a burst of 400 requests for different numbers', async () => {
    const sentBefore = t.gateway.messages.length;
    const responses = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        api()
          .post('/v1/auth/otp')
          .set('X-Forwarded-For', '192.0.2.77')
          .send({ phone: `1415555${String(1000 + i).padStart(4, '0')}`, appid: APPID }),
      ),
    );
    expect(statuses(responses)).toEqual({ 202: 20, 429: 380 });
    expect(t.gateway.messages.length - sentBefore).toBe(20);
  }, 60_000);

  it('has at most 20 email codes sent for one client, as for SMS, with the same answer for every address', async () => {
    const client = '192.0.2.88';
    const addresses = Array.from({ length: 25 }, (_, i) => `burst-${i}@example.org`);
    const responses = await Promise.all(
      addresses.map((email) => api().post('/v1/auth/email/register').set('X-Forwarded-For', client).send({ email, password: PASSWORD })),
    );
    expect(statuses(responses)).toEqual({ 202: 25 });
    // The codes go out after the answers (over real SMTP): wait for the 20th, then give a 21st time to show up.
    for (let waited = 0; waited < 100 && addresses.filter((email) => inbox.count(email) > 0).length < 20; waited++) {
      await new Promise((done) => setTimeout(done, 50));
    }
    await new Promise((done) => setTimeout(done, 300));
    expect(addresses.filter((email) => inbox.count(email) > 0)).toHaveLength(20);
  }, 60_000);

  describe('with an email account', () => {
    beforeAll(async () => {
      expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: PASSWORD })).status).toBe(202);
      const { code } = await inbox.codeFor(EMAIL);
      expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: PASSWORD })).status).toBe(204);
    }, 60_000);

    it('checks at most 10 of 150 concurrent wrong passwords from one client; the owner, elsewhere, still logs in', async () => {
      const attacker = '192.0.2.66';
      const guesses = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          api()
            .post('/v1/auth/email/login')
            .set('X-Forwarded-For', attacker)
            .send({ email: EMAIL, password: `wrong guess number ${i}`, appid: APPID }),
        ),
      );
      expect(statuses(guesses)).toEqual({ 401: 10, 429: 140 });

      const attackerRight = await api().post('/v1/auth/email/login').set('X-Forwarded-For', attacker).send({ email: EMAIL, password: PASSWORD, appid: APPID });
      expect(attackerRight.status).toBe(429);
      expect(Number(attackerRight.headers['retry-after'])).toBeGreaterThan(0);

      const owner = await api().post('/v1/auth/email/login').set('X-Forwarded-For', '198.51.100.9').send({ email: EMAIL, password: PASSWORD, appid: APPID });
      expect(owner.status).toBe(200);
    }, 120_000);

    it('compares at most 5 of 100 concurrent reset codes; the right code afterwards does not take the account', async () => {
      expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
      const { code } = await inbox.codeFor(EMAIL);

      const guesses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          api()
            .post('/v1/auth/password/reset')
            .set('X-Forwarded-For', clientAddress(i))
            .send({ email: EMAIL, code: wrongCode(code, i), password: `attacker passphrase ${i}` }),
        ),
      );
      expect(guesses.filter((res) => res.status >= 500)).toEqual([]);
      expect(guesses.filter((res) => res.status === 204)).toEqual([]);
      expect(await triesTaken('email-reset', EMAIL)).toBe(5);

      const late = await api().post('/v1/auth/password/reset').set('X-Forwarded-For', '198.51.100.200').send({ email: EMAIL, code, password: 'the attackers passphrase' });
      expect([401, 429]).toContain(late.status);
      const owner = await api().post('/v1/auth/email/login').set('X-Forwarded-For', '198.51.100.9').send({ email: EMAIL, password: PASSWORD, appid: APPID });
      expect(owner.status).toBe(200);
    }, 120_000);
  });
});
