import { loadOtpConfig } from '../config/otp.config';
import { rejectionOf } from '../../test/support/rejection';
import { randomBytes } from 'node:crypto';
import { FakeClock as TestClock } from '../../test/support/fake-clock';
import { InvalidCodeError, PhoneNotAllowedError, RateLimitedError } from '../common/errors';
import { loadSmsPolicyConfig } from '../config/sms-policy.config';
import { SmsSendPolicy } from './sms-send-policy';
import { OtpConfig } from '../config';
import { Db, migrateToLatest, openDatabase } from '../database/connection';
import { DatabaseCounterStore } from '../database/counter-store';
import { OtpRepository } from './otp.repository';
import { OtpService } from './otp.service';
import { OtpMessage, OtpSender } from './senders/otp-sender';

/** The delivery boundary: keeps what it was asked to send, or fails once when told to. */
class RecordingSender extends OtpSender {
  readonly sent: OtpMessage[] = [];
  private failure?: Error;

  failNextWith(error: Error): void {
    this.failure = error;
  }

  send(message: OtpMessage): Promise<void> {
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      return Promise.reject(failure);
    }
    this.sent.push(message);
    return Promise.resolve();
  }

  lastCodeFor(destination: string): string {
    const message = this.sent.filter((m) => m.to === destination).at(-1);
    if (!message) throw new Error(`no code was sent to ${destination}`);
    return message.code;
  }
}

const PHONE = '18005551234';
const OTHER_PHONE = '919876543210';

// The shipped defaults (6 digits, 5 minutes, 5 tries, 30 s cooldown, 10 wrong tries per client and 100 per number an hour).
const config: OtpConfig = loadOtpConfig({ OTP_SECRET: randomBytes(32).toString('hex'), OTP_MESSAGE: 'Your code is {code}' });

/** A code of the same length that is certainly not `code`. */
function wrongCode(code: string): string {
  const last = (Number(code.at(-1)) + 1) % 10;
  return `${code.slice(0, -1)}${last}`;
}


describe('OtpService', () => {
  let db: Db;
  let clock: TestClock;
  let sender: RecordingSender;
  let service: OtpService;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new TestClock();
    sender = new RecordingSender();
    service = new OtpService(new OtpRepository(db), new DatabaseCounterStore(db, clock), sender, clock, config);
  });

  afterEach(async () => {
    await db.destroy();
  });

  async function issueCode(destination = PHONE): Promise<string> {
    await service.issue('sms', destination);
    return sender.lastCodeFor(destination);
  }

  async function expectInvalidCode(promise: Promise<unknown>, reason?: InvalidCodeError['reason']): Promise<void> {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(InvalidCodeError);
    if (reason !== undefined) expect((error as InvalidCodeError).reason).toBe(reason);
  }

  async function expectRateLimited(promise: Promise<unknown>): Promise<RateLimitedError> {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(RateLimitedError);
    return error as RateLimitedError;
  }

  describe('issue', () => {
    it('sends a 6-digit code inside the configured message and reports expiry and cooldown', async () => {
      const issued = await service.issue('sms', PHONE);

      expect(sender.sent).toHaveLength(1);
      const [message] = sender.sent;
      expect(message.code).toMatch(/^\d{6}$/);
      expect(message.channel).toBe('sms');
      expect(message.to).toBe(PHONE);
      expect(message.text).toBe(`Your code is ${message.code}`);
      expect(issued.expiresAt.getTime()).toBe(clock.nowMs() + 300_000);
      expect(issued.resendAfterSeconds).toBe(30);
    });

    it('draws a fresh code each time', async () => {
      const destinations = Array.from({ length: 8 }, (_, i) => `1800555000${i}`);
      for (const destination of destinations) await service.issue('sms', destination);

      expect(new Set(sender.sent.map((m) => m.code)).size).toBeGreaterThan(1);
    });

    it('stores only a keyed hash of the code, never the code itself', async () => {
      const code = await issueCode();

      const rows = await db.selectFrom('otp_challenges').selectAll().execute();
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row.destination).toBe(PHONE);
      expect(row.code_hash).not.toBe(code);
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      for (const value of Object.values(row)) expect(String(value)).not.toContain(code);
    });

    it('refuses another code during the 30 s cooldown and allows it afterwards', async () => {
      await service.issue('sms', PHONE);

      const atOnce = await expectRateLimited(service.issue('sms', PHONE));
      expect(atOnce.retryAfterSeconds).toBe(30);

      clock.advance(29);
      const nearlyThere = await expectRateLimited(service.issue('sms', PHONE));
      expect(nearlyThere.retryAfterSeconds).toBe(1);
      expect(sender.sent).toHaveLength(1);

      clock.advance(1);
      await service.issue('sms', PHONE);
      expect(sender.sent).toHaveLength(2);
    });

    it('lets a new code replace the pending one: the old code is refused, the new one accepted', async () => {
      const oldCode = await issueCode();
      let newCode = oldCode;
      while (newCode === oldCode) {
        clock.advance(30);
        newCode = await issueCode();
      }

      expect(await db.selectFrom('otp_challenges').selectAll().execute()).toHaveLength(1);
      await expectInvalidCode(service.verify('sms', PHONE, oldCode), 'wrong');
      await expect(service.verify('sms', PHONE, newCode)).resolves.toHaveProperty('restore');
    });

    it('propagates a delivery failure and leaves no cooldown, so the user can ask again at once', async () => {
      const failure = new Error('gateway down');
      sender.failNextWith(failure);

      await expect(service.issue('sms', PHONE)).rejects.toBe(failure);
      expect(await db.selectFrom('otp_challenges').selectAll().execute()).toHaveLength(0);

      const code = await issueCode();
      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
    });
  });

  describe('verify', () => {
    it('accepts the right code once; a second use fails', async () => {
      const code = await issueCode();

      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
      await expectInvalidCode(service.verify('sms', PHONE, code));
    });

    it('refuses a code when none was issued', async () => {
      await expectInvalidCode(service.verify('sms', PHONE, '123456'), 'none_pending');
    });

    it('refuses the code for another destination or another channel', async () => {
      const code = await issueCode();

      await expectInvalidCode(service.verify('sms', OTHER_PHONE, code));
      await expectInvalidCode(service.verify('email-reset', PHONE, code));
      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
    });

    it('sends at most 5 codes to one destination per hour, whatever the cooldown allows', async () => {
      for (let i = 0; i < 5; i++) {
        await service.issue('sms', PHONE);
        clock.advance(31);
      }
      const error = await rejectionOf(service.issue('sms', PHONE));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(sender.sent).toHaveLength(5);
      // Another destination is unaffected, and the hour's end lifts the limit.
      await service.issue('sms', OTHER_PHONE);
      clock.advance(3600);
      await service.issue('sms', PHONE);
      expect(sender.sent).toHaveLength(7);
    });

    it('sends at most 20 codes per hour on behalf of one requester, to any destinations', async () => {
      for (let i = 0; i < 20; i++) await service.issue('sms', `1415555${String(i).padStart(4, '0')}`, '203.0.113.7');
      await expect(service.issue('sms', '14155559999', '203.0.113.7')).rejects.toBeInstanceOf(RateLimitedError);
      await service.issue('sms', '14155559999', '198.51.100.1');
      expect(sender.sent).toHaveLength(21);
    });

    it('does not count a code that could not be delivered against the send limits', async () => {
      for (let i = 0; i < 10; i++) {
        sender.failNextWith(new Error('gateway down'));
        await expect(service.issue('sms', PHONE, '203.0.113.7')).rejects.toThrow('gateway down');
      }
      await service.issue('sms', PHONE, '203.0.113.7');
      expect(sender.sent).toHaveLength(1);
    });

    it('words an email code by purpose, with a subject', async () => {
      await service.issue('email-reset', 'ada@example.com');
      const [message] = sender.sent;
      expect(message.channel).toBe('email-reset');
      expect(message.subject).toContain(message.code);
      expect(message.text).toContain('new password');
      await expect(service.verify('email-verify', 'ada@example.com', message.code)).rejects.toBeInstanceOf(InvalidCodeError);
      await expect(service.verify('email-reset', 'ada@example.com', message.code)).resolves.toHaveProperty('restore');
    });

    it('still accepts the code after 299 s', async () => {
      const code = await issueCode();
      clock.advance(299);

      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
    });

    it('refuses the code once 300 s have passed', async () => {
      const code = await issueCode();
      clock.advance(300);

      await expectInvalidCode(service.verify('sms', PHONE, code), 'expired');
    });

    it('refuses even the right code after 5 wrong tries', async () => {
      const code = await issueCode();
      for (let i = 0; i < 5; i++) await expectInvalidCode(service.verify('sms', PHONE, wrongCode(code)), 'wrong');

      await expectInvalidCode(service.verify('sms', PHONE, code), 'used_up');
    });

    it('accepts the right code after 4 wrong tries', async () => {
      const code = await issueCode();
      for (let i = 0; i < 4; i++) await expectInvalidCode(service.verify('sms', PHONE, wrongCode(code)), 'wrong');

      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
    });
  });

  describe('with the SMS send policy', () => {
    const PREMIUM = '19005551234';

    beforeEach(() => {
      const counters = new DatabaseCounterStore(db, clock);
      const policy = new SmsSendPolicy(counters, clock, loadSmsPolicyConfig({ SMS_MAX_PER_HOUR: '2' }));
      service = new OtpService(new OtpRepository(db), counters, sender, clock, config, policy);
    });

    it('sends no code to a number the policy refuses, and leaves the number\'s own budgets untouched', async () => {
      await expect(service.issue('sms', PREMIUM, '203.0.113.7')).rejects.toBeInstanceOf(PhoneNotAllowedError);
      expect(sender.sent).toHaveLength(0);
      // The refused request took no cooldown or send unit.
      expect(await db.selectFrom('counters').select(['key', 'value']).where('value', '>', 0).execute()).toEqual([]);
    });

    it('stops at the global SMS budget, and gives its unit back when a send fails', async () => {
      sender.failNextWith(new Error('gateway down'));
      await expect(service.issue('sms', PHONE)).rejects.toThrow('gateway down');
      await service.issue('sms', PHONE);
      await service.issue('sms', OTHER_PHONE);
      await expectRateLimited(service.issue('sms', '14155550101'));
      expect(sender.sent.map((m) => m.to)).toEqual([PHONE, OTHER_PHONE]);
      // Email codes are not SMS.
      await service.issue('email-verify', 'ada@example.com');
    });
  });

  describe('restoring a used code', () => {
    it('puts the code back, with the tries it had, when the login it was used for failed', async () => {
      const code = await issueCode();
      await expectInvalidCode(service.verify('sms', PHONE, wrongCode(code)), 'wrong');
      const redeemed = await service.verify('sms', PHONE, code);
      await expectInvalidCode(service.verify('sms', PHONE, code), 'none_pending');

      await redeemed.restore();
      const [row] = await db.selectFrom('otp_challenges').selectAll().execute();
      expect(row.attempts).toBe(1);
      await expect(service.verify('sms', PHONE, code)).resolves.toHaveProperty('restore');
    });

    it('lets a newer code win over a restored one', async () => {
      const first = await issueCode();
      const redeemed = await service.verify('sms', PHONE, first);
      clock.advance(30);
      const second = await issueCode();
      await redeemed.restore();
      if (first !== second) await expectInvalidCode(service.verify('sms', PHONE, first), 'wrong');
      await expect(service.verify('sms', PHONE, second)).resolves.toHaveProperty('restore');
    });
  });

  describe('wrong-try budgets per client and per destination', () => {
    const ATTACKER = 'client-a';
    const OWNER = 'client-b';

    /** Makes `count` wrong tries on PHONE from `client`, at most 4 per code, asking for a new code as needed. */
    async function spendWrongTriesFrom(client: string, count: number): Promise<string> {
      let code = await issueCode();
      for (let spent = 0; spent < count; spent++) {
        if (spent > 0 && spent % 4 === 0) {
          clock.advance(30);
          code = await issueCode();
        }
        await expectInvalidCode(service.verify('sms', PHONE, wrongCode(code), client), 'wrong');
      }
      return code;
    }

    beforeEach(() => {
      // Enough codes per hour to reach the budgets; the send limits have tests of their own.
      const generous = { ...config, maxSendsPerWindow: 1000 };
      service = new OtpService(new OtpRepository(db), new DatabaseCounterStore(db, clock), sender, clock, generous);
    });

    it("stops a client after 10 wrong codes, while the owner, from another client, still gets in", async () => {
      const code = await spendWrongTriesFrom(ATTACKER, 10);

      const refused = await expectRateLimited(service.verify('sms', PHONE, code, ATTACKER));
      expect(refused.retryAfterSeconds).toBeGreaterThan(30);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3600);
      // The refused try was not compared: the code still has its tries for the owner.
      await expect(service.verify('sms', PHONE, code, OWNER)).resolves.toHaveProperty('restore');
    });

    it('does not stop a client after 9 wrong codes', async () => {
      const code = await spendWrongTriesFrom(ATTACKER, 9);
      await expect(service.verify('sms', PHONE, code, ATTACKER)).resolves.toHaveProperty('restore');
    });

    it('doubles a client\'s wait each time it spends its budget again', async () => {
      await spendWrongTriesFrom(ATTACKER, 10);
      const first = await expectRateLimited(service.verify('sms', PHONE, '000000', ATTACKER));
      clock.advance(first.retryAfterSeconds);

      await spendWrongTriesFrom(ATTACKER, 10);
      const second = await expectRateLimited(service.verify('sms', PHONE, '000000', ATTACKER));
      expect(second.retryAfterSeconds).toBeGreaterThan(3600);
      expect(second.retryAfterSeconds).toBeLessThanOrEqual(7200);
    });

    it('stops every client once the destination has had 100 wrong codes in the window', async () => {
      let code = await issueCode();
      for (let spent = 0; spent < 100; spent++) {
        if (spent > 0 && spent % 4 === 0) {
          clock.advance(30);
          code = await issueCode();
        }
        await expectInvalidCode(service.verify('sms', PHONE, wrongCode(code), `client-${Math.floor(spent / 10)}`), 'wrong');
      }
      await expectRateLimited(service.verify('sms', PHONE, code, 'a-fresh-client'));
      // Other destinations are unaffected.
      const other = await issueCode(OTHER_PHONE);
      await expect(service.verify('sms', OTHER_PHONE, other, 'a-fresh-client')).resolves.toHaveProperty('restore');
    });

    it('counts only wrong codes: a right one gives its unit back', async () => {
      for (let round = 0; round < 12; round++) {
        const code = await issueCode();
        await expect(service.verify('sms', PHONE, code, ATTACKER)).resolves.toHaveProperty('restore');
        clock.advance(30);
      }
      const code = await spendWrongTriesFrom(ATTACKER, 9);
      await expect(service.verify('sms', PHONE, code, ATTACKER)).resolves.toHaveProperty('restore');
    });

    it('compares at most 5 of 200 concurrent guesses for one code', async () => {
      const code = await issueCode();
      const guesses = Array.from({ length: 200 }, (_, i) => service.verify('sms', PHONE, wrongCode(code), `client-${i}`));
      const outcomes = await Promise.allSettled(guesses);
      const wrong = outcomes.filter((o) => o.status === 'rejected' && (o.reason as InvalidCodeError).reason === 'wrong');
      expect(wrong).toHaveLength(5);
      // Every other guess was refused uncompared: the code's tries were gone, then the number's budget.
      const refused = outcomes.filter((o) => o.status === 'rejected' && (o.reason instanceof RateLimitedError || (o.reason as InvalidCodeError).reason === 'used_up'));
      expect(refused).toHaveLength(195);
      await expect(service.verify('sms', PHONE, code, OWNER)).rejects.toBeDefined();
    });
  });
});
