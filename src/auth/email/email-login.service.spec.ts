import { loadOtpConfig } from '../../config/otp.config';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../../test/support/fake-clock';
import {
  DomainError,
  IdentityInUseError,
  InvalidCodeError,
  InvalidCredentialsError,
  InvalidRequestError,
  InvalidTokenError,
  NotFoundError,
  RateLimitedError,
  WeakPasswordError,
} from '../../common/errors';
import { EmailConfig, OtpConfig, PasswordConfig } from '../../config';
import { Db, migrateToLatest, openDatabase } from '../../database/connection';
import { DatabaseCounterStore } from '../../database/counter-store';
import { EmailAccountRow, UserRow } from '../../database/schema';
import { MesiboTokenService, UserTokenToRevoke } from '../../mesibo/mesibo-token.service';
import { OtpChannel, OtpRepository } from '../../otp/otp.repository';
import { OtpService } from '../../otp/otp.service';
import { OtpMessage, OtpSender } from '../../otp/senders/otp-sender';
import { UsersRepository } from '../../users/users.repository';
import { UsersService } from '../../users/users.service';
import { SessionsRepository } from '../sessions.repository';
import { SessionsService } from '../sessions.service';
import { SessionTokenCipher } from '../sessions.token-cipher';
import { EmailAccountsRepository } from './email-accounts.repository';
import { EmailLoginService } from './email-login.service';
import { PasswordHasher } from './password-hasher';

/** The delivery boundary: keeps every code it was asked to send. */
class RecordingSender extends OtpSender {
  readonly sent: OtpMessage[] = [];

  send(message: OtpMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }

  to(destination: string, channel?: OtpChannel): OtpMessage[] {
    return this.sent.filter((m) => m.to === destination && (channel === undefined || m.channel === channel));
  }

  lastCode(channel: OtpChannel, destination: string): string {
    const message = this.to(destination, channel).at(-1);
    if (!message) throw new Error(`no ${channel} code was sent to ${destination}`);
    return message.code;
  }
}

/**
 * Stand-in for MesiboTokenService. Login tokens are not minted by EmailLoginService, so only
 * `revokeUserToken` exists: ending sessions (reset, change of password) reaches it through
 * SessionsService. It records its calls.
 */
class RecordingMesiboTokens {
  readonly revoked: UserTokenToRevoke[] = [];

  revokeUserToken(revoke: UserTokenToRevoke): Promise<void> {
    this.revoked.push(revoke);
    return Promise.resolve();
  }
}

// Small argon2id parameters (the floor of the config) keep every hash around 10 ms.
const passwordConfig: PasswordConfig = { memoryKib: 8192, timeCost: 1, parallelism: 1, maxFailuresPerWindow: 10, maxFailuresPerClientPerWindow: 10, maxFailureBackoffSeconds: 86400, failureWindowSeconds: 900 };

const emailConfig: EmailConfig = { loginEnabled: true, sender: 'console', from: 'Messenger <no-reply@localhost>' };

// The shipped defaults (6 digits, 5 minutes, 5 tries, 30 s cooldown, 10 wrong tries an hour).
const otpConfig: OtpConfig = loadOtpConfig({ OTP_SECRET: randomBytes(32).toString('hex'), OTP_MESSAGE: 'Your code is {code}' });

const ADA = 'ada@example.com';
const BOB = 'bob@example.org';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'tulips grow under the old oak bridge';
const WRONG_PASSWORD = 'not the password at all';

/** The error a promise rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A code of the same length that is certainly not `code`. */
function wrongCode(code: string): string {
  return `${code.slice(0, -1)}${(Number(code.at(-1)) + 1) % 10}`;
}

describe('EmailLoginService', () => {
  let db: Db;
  let clock: FakeClock;
  let sender: RecordingSender;
  let otp: OtpService;
  let issueSpy: jest.SpiedFunction<OtpService['issue']>;
  let counters: DatabaseCounterStore;
  let users: UsersService;
  let sessionsRepository: SessionsRepository;
  let sessions: SessionsService;
  let mesibo: RecordingMesiboTokens;
  let accounts: EmailAccountsRepository;
  let hasher: PasswordHasher;
  let service: EmailLoginService;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new FakeClock();
    sender = new RecordingSender();
    counters = new DatabaseCounterStore(db, clock);
    otp = new OtpService(new OtpRepository(db), counters, sender, clock, otpConfig);
    // Calls through: kept only to reach the promises of codes sent after the reply.
    issueSpy = jest.spyOn(otp, 'issue');
    users = new UsersService(new UsersRepository(db));
    sessionsRepository = new SessionsRepository(db);
    mesibo = new RecordingMesiboTokens();
    sessions = new SessionsService(sessionsRepository, users, mesibo as unknown as MesiboTokenService, clock, new SessionTokenCipher(otpConfig));
    accounts = new EmailAccountsRepository(db);
    hasher = new PasswordHasher(passwordConfig);
    service = build(emailConfig);
  });

  afterEach(async () => {
    await flushSends();
    jest.restoreAllMocks();
    await db.destroy();
  });

  function build(email: EmailConfig): EmailLoginService {
    return new EmailLoginService(accounts, hasher, otp, counters, users, sessions, clock, passwordConfig, email);
  }

  /**
   * Waits for every code sent after a reply (register, requestReset, startLink do not await the
   * sending): the spy holds the promise of each `issue` call, so no polling or sleeping is needed.
   */
  async function flushSends(): Promise<void> {
    await Promise.allSettled(issueSpy.mock.results.map((result) => result.value as Promise<unknown>));
  }

  async function register(email: string, password = PASSWORD, name?: string): Promise<string> {
    await service.register(email, password, name);
    await flushSends();
    return sender.lastCode('email-verify', email.trim().toLowerCase());
  }

  async function registerAndConfirm(email: string, password = PASSWORD, name?: string): Promise<void> {
    await service.confirm(email, await register(email, password, name), password);
  }

  async function resetCodeFor(email: string): Promise<string> {
    await service.requestReset(email);
    await flushSends();
    return sender.lastCode('email-reset', email);
  }

  async function accountOf(email: string): Promise<EmailAccountRow | undefined> {
    return accounts.findByEmail(email);
  }

  /** A user of the email identity with live sessions, as a completed login leaves them. */
  async function loggedIn(
    identity: { method: string; subject: string; address: string },
    tokens: string[],
  ): Promise<{ user: UserRow; sessionIds: string[] }> {
    const now = clock.nowMs();
    const user = await db.transaction().execute(async (trx) => {
      const login = await users.recordLogin(
        { method: identity.method, subject: identity.subject, verified: true },
        { address: identity.address, mesiboUid: `uid-${identity.subject}`, now },
        trx,
      );
      for (const token of tokens) {
        await sessions.record(
          { userId: login.user.id, identity: { method: identity.method, subject: identity.subject }, token, appid: 'com.example.app', now, expiresAt: now + 3_600_000 },
          trx,
        );
      }
      return login.user;
    });
    const sessionIds: string[] = [];
    for (const token of tokens) sessionIds.push((await sessions.authenticate(token)).session.id);
    return { user, sessionIds };
  }

  function emailLogin(email: string): { method: string; subject: string; address: string } {
    return { method: 'email', subject: email, address: email };
  }

  async function expectLoggedOut(token: string): Promise<void> {
    await expect(sessions.authenticate(token)).rejects.toBeInstanceOf(InvalidTokenError);
  }

  describe('register and confirm', () => {
    it('emails a code; before confirming, any password gets InvalidCredentials; then it logs in', async () => {
      await expect(service.register(ADA, PASSWORD, 'Ada Lovelace')).resolves.toBeUndefined();
      await flushSends();

      expect(sender.sent).toHaveLength(1);
      const [message] = sender.sent;
      expect(message).toMatchObject({ channel: 'email-verify', to: ADA });
      expect(message.code).toMatch(/^\d{6}$/);
      expect(message.subject).toContain(message.code);
      await expect(accountOf(ADA)).resolves.toMatchObject({ email: ADA, display_name: 'Ada Lovelace', verified_at: null });

      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expect(service.authenticate(ADA, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);

      clock.advance(60);
      await service.confirm(ADA, message.code, PASSWORD);
      await expect(accountOf(ADA)).resolves.toMatchObject({ verified_at: clock.nowMs() });

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toEqual({
        method: 'email',
        subject: ADA,
        address: ADA,
        displayName: 'Ada Lovelace',
        verified: true,
      });
      await expect(service.authenticate(ADA, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('stores only an argon2id hash of the password', async () => {
      await registerAndConfirm(ADA);

      const account = await accountOf(ADA);
      expect(account?.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      expect(account?.password_hash).not.toContain(PASSWORD);
      await expect(hasher.verify(account?.password_hash ?? '', PASSWORD)).resolves.toBe(true);
    });

    it('keeps a pending account on the hash of a secret nobody knows, not the password given at registration', async () => {
      await register(ADA);

      const account = await accountOf(ADA);
      expect(account?.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      await expect(hasher.verify(account?.password_hash ?? '', PASSWORD)).resolves.toBe(false);
    });

    it('sets the password given with the code, not the one given at registration', async () => {
      const code = await register(ADA, PASSWORD, 'Ada');

      await service.confirm(ADA, code, NEW_PASSWORD);

      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA, displayName: 'Ada' });
      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('takes a display name given with the code in place of the registered one', async () => {
      const code = await register(ADA, PASSWORD, 'Mallory');

      await service.confirm(ADA, code, PASSWORD, 'Ada Lovelace');

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ displayName: 'Ada Lovelace' });
    });

    it('refuses a weak password at confirmation without using up the code', async () => {
      const code = await register(ADA);

      await expect(service.confirm(ADA, code, 'iloveyou')).rejects.toBeInstanceOf(WeakPasswordError);
      await expect(accountOf(ADA)).resolves.toMatchObject({ verified_at: null });

      await expect(service.confirm(ADA, code, PASSWORD)).resolves.toBeUndefined();
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('refuses a wrong confirmation code and leaves the account unconfirmed', async () => {
      const code = await register(ADA);

      await expect(service.confirm(ADA, wrongCode(code), PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);

      await expect(accountOf(ADA)).resolves.toMatchObject({ verified_at: null });
      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('normalizes addresses: " Ada@Example.COM " registers, confirms and logs in as "ada@example.com"', async () => {
      await service.register(' Ada@Example.COM ', PASSWORD);
      await flushSends();

      expect(sender.sent.map((m) => m.to)).toEqual([ADA]);
      expect((await db.selectFrom('email_accounts').select('email').execute()).map((row) => row.email)).toEqual([ADA]);

      await service.confirm('ADA@example.com', sender.lastCode('email-verify', ADA), PASSWORD);

      const identity = await service.authenticate(' Ada@Example.COM ', PASSWORD);
      expect(identity).toMatchObject({ method: 'email', subject: ADA, address: ADA, verified: true });
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('refuses a weak password or a malformed address before creating anything', async () => {
      await expect(service.register(ADA, 'password')).rejects.toBeInstanceOf(WeakPasswordError);
      await expect(service.register(ADA, 'ada@example.com')).rejects.toBeInstanceOf(WeakPasswordError);
      await expect(service.register('not-an-address', PASSWORD)).rejects.toBeInstanceOf(InvalidRequestError);
      await flushSends();

      await expect(accountOf(ADA)).resolves.toBeUndefined();
      expect(issueSpy).not.toHaveBeenCalled();
      expect(sender.sent).toHaveLength(0);
    });

    it('stores registrations of one new address made at the same moment as one account, without an error', async () => {
      const now = clock.nowMs();
      const saves = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => accounts.savePending(ADA, `hash-${i}`, null, now)));

      expect(saves.map((save) => save.status)).toEqual(Array(5).fill('fulfilled'));
      expect(await db.selectFrom('email_accounts').select('email').execute()).toEqual([{ email: ADA }]);
    });

    it('answers a second registration inside the resend cooldown the same way, without surfacing the cooldown', async () => {
      await register(ADA);

      await expect(service.register(ADA, PASSWORD)).resolves.toBeUndefined();
      await flushSends();

      expect(issueSpy).toHaveBeenCalledTimes(2);
      expect(sender.to(ADA)).toHaveLength(1);
    });
  });

  describe('uniform answers', () => {
    it('answers registering an already confirmed address exactly like a new one, and changes nothing', async () => {
      await registerAndConfirm(ADA);
      const before = await accountOf(ADA);
      const sentBefore = sender.to(ADA).length;
      clock.advance(60);

      const forNew = await service.register(BOB, NEW_PASSWORD, 'Bob');
      const forTaken = await service.register(ADA, NEW_PASSWORD, 'Mallory');
      await flushSends();

      expect(forTaken).toEqual(forNew);
      expect(forTaken).toBeUndefined();
      await expect(accountOf(ADA)).resolves.toEqual(before);
      expect(sender.to(ADA)).toHaveLength(sentBefore);
      expect(sender.to(BOB, 'email-verify')).toHaveLength(1);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('answers an unknown address and a wrong password with the same error and message', async () => {
      await registerAndConfirm(ADA);
      await register(BOB);

      const unknown = await rejectionOf(service.authenticate('nobody@example.com', PASSWORD));
      const wrongPassword = await rejectionOf(service.authenticate(ADA, WRONG_PASSWORD));
      const wrongForUnconfirmed = await rejectionOf(service.authenticate(BOB, WRONG_PASSWORD));

      expect(unknown).toBeInstanceOf(InvalidCredentialsError);
      for (const other of [wrongPassword, wrongForUnconfirmed]) {
        expect(other.constructor).toBe(unknown.constructor);
        expect(other.message).toBe(unknown.message);
        expect((other as InvalidCredentialsError).code).toBe((unknown as InvalidCredentialsError).code);
      }
    });

    it('still checks one password for an unknown address, as for a known one', async () => {
      await registerAndConfirm(ADA);
      const dummy = jest.spyOn(PasswordHasher.prototype, 'verifyAgainstDummy');
      const verify = jest.spyOn(PasswordHasher.prototype, 'verify');

      await expect(service.authenticate('nobody@example.com', PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);

      expect(dummy).toHaveBeenCalledTimes(1);
      expect(dummy).toHaveBeenCalledWith(PASSWORD);
      // The dummy check is a real argon2 verification.
      expect(verify).toHaveBeenCalledTimes(1);

      dummy.mockClear();
      verify.mockClear();
      await expect(service.authenticate(ADA, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);

      expect(verify).toHaveBeenCalledTimes(1);
      expect(dummy).not.toHaveBeenCalled();
    });

    it('requestReset resolves for an unknown address and sends nothing', async () => {
      await expect(service.requestReset('nobody@example.com')).resolves.toBeUndefined();
      await flushSends();

      expect(issueSpy).not.toHaveBeenCalled();
      expect(sender.sent).toHaveLength(0);
    });

    describe('for a confirmed, an unconfirmed and an unknown address', () => {
      const CAROL = 'carol@example.net';
      const PROBE_PASSWORD = 'a stranger probing addresses';
      type State = 'confirmed' | 'unconfirmed' | 'unknown';
      const STATES: State[] = ['confirmed', 'unconfirmed', 'unknown'];
      const addressOf: Record<State, string> = { confirmed: ADA, unconfirmed: BOB, unknown: CAROL };

      beforeEach(async () => {
        // Ada confirmed her address; Bob registered his and has a code waiting; nobody registered Carol's.
        await registerAndConfirm(ADA);
        await register(BOB);
        clock.advance(60);
      });

      /** What a caller can see of a call: the value, or the error's class, code, message and wait. */
      async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
        try {
          return { resolved: await promise };
        } catch (error) {
          const { code, retryAfterSeconds } = error as DomainError & { retryAfterSeconds?: number };
          return { error: (error as Error).constructor.name, code, message: (error as Error).message, retryAfterSeconds };
        }
      }

      /** Calls `call` for each address in turn; expects the three outcomes equal and returns it. */
      async function sameFor(call: (email: string) => Promise<unknown>): Promise<unknown> {
        const seen = new Map<State, unknown>();
        for (const state of STATES) seen.set(state, await outcomeOf(call(addressOf[state])));
        expect(seen.get('unconfirmed')).toEqual(seen.get('confirmed'));
        expect(seen.get('unknown')).toEqual(seen.get('confirmed'));
        return seen.get('confirmed');
      }

      /** A stranger registers every address with a password of their own (nothing happens to Ada's). */
      async function strangerRegistersAll(): Promise<void> {
        for (const state of STATES) await service.register(addressOf[state], PROBE_PASSWORD, 'Mallory');
        await flushSends();
      }

      it('register: the same answer, with an acceptable or a weak password', async () => {
        await expect(sameFor((email) => service.register(email, PROBE_PASSWORD))).resolves.toEqual({ resolved: undefined });
        await expect(sameFor((email) => service.register(email, 'password1'))).resolves.toMatchObject({ code: 'weak_password' });
      });

      it("login: the same refusal for a wrong password and for the stranger's own registration password", async () => {
        await strangerRegistersAll();

        await expect(sameFor((email) => service.authenticate(email, WRONG_PASSWORD))).resolves.toMatchObject({ code: 'invalid_credentials' });
        await expect(sameFor((email) => service.authenticate(email, PROBE_PASSWORD))).resolves.toEqual({
          error: 'InvalidCredentialsError',
          code: 'invalid_credentials',
          message: 'Wrong email or password, or the address is not confirmed yet.',
          retryAfterSeconds: undefined,
        });
      });

      it("login: the stranger's tries run out after the same number for each address, with the same refusal", async () => {
        await strangerRegistersAll();
        const triesUntilRefused = new Map<State, number>();
        const refusals = new Map<State, unknown>();
        for (const state of STATES) {
          let tries = 0;
          let outcome: unknown;
          do {
            outcome = await outcomeOf(service.authenticate(addressOf[state], PROBE_PASSWORD));
            tries++;
          } while ((outcome as { code?: string }).code === 'invalid_credentials' && tries < 200);
          triesUntilRefused.set(state, tries);
          refusals.set(state, outcome);
        }

        expect(refusals.get('confirmed')).toMatchObject({ code: 'rate_limited' });
        expect(refusals.get('unconfirmed')).toEqual(refusals.get('confirmed'));
        expect(refusals.get('unknown')).toEqual(refusals.get('confirmed'));
        expect(triesUntilRefused.get('unconfirmed')).toBe(triesUntilRefused.get('confirmed'));
        expect(triesUntilRefused.get('unknown')).toBe(triesUntilRefused.get('confirmed'));
      });

      it('confirm: the same refusal of a wrong code, whether a code is waiting or none was sent', async () => {
        const refused = await sameFor((email) => service.confirm(email, '000000', PROBE_PASSWORD));
        expect(refused).toMatchObject({ code: 'invalid_code' });

        // Now a code waits for Bob's and Carol's addresses, and none for Ada's.
        await strangerRegistersAll();
        await expect(sameFor((email) => service.confirm(email, '000000', PROBE_PASSWORD))).resolves.toEqual(refused);
        await expect(sameFor((email) => service.confirm(email, '000000', 'password1'))).resolves.toMatchObject({ code: 'weak_password' });
        await expect(accountOf(BOB)).resolves.toMatchObject({ verified_at: null });
        await expect(accountOf(CAROL)).resolves.toMatchObject({ verified_at: null });
      });

      it('password reset: the same answer to the request, and the same refusal of a wrong code', async () => {
        await expect(sameFor((email) => service.requestReset(email))).resolves.toEqual({ resolved: undefined });
        await flushSends();

        await expect(sameFor((email) => service.reset(email, '000000', NEW_PASSWORD))).resolves.toMatchObject({ code: 'invalid_code' });
        await expect(sameFor((email) => service.reset(email, '000000', 'password1'))).resolves.toMatchObject({ code: 'weak_password' });
        await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      });

      it("link start: the same answer for any acceptable password (a confirmed account's password is not checked), and for a weak one", async () => {
        const lookups = jest.spyOn(accounts, 'findByEmail');

        await expect(sameFor((email) => service.startLink(email, WRONG_PASSWORD))).resolves.toEqual({ resolved: undefined });
        await expect(sameFor((email) => service.startLink(email, 'password1'))).resolves.toMatchObject({ code: 'weak_password' });

        // Nothing about the address is read, so nothing about it can show.
        expect(lookups).not.toHaveBeenCalled();
        await expect(accountOf(CAROL)).resolves.toBeUndefined();
      });

      it('link verify: the same refusal of a wrong code', async () => {
        const { user } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);
        const refused = await sameFor((email) => service.confirmLink(user.id, email, '000000', PROBE_PASSWORD));
        expect(refused).toMatchObject({ code: 'invalid_code' });

        for (const state of STATES) await service.startLink(addressOf[state], PROBE_PASSWORD);
        await flushSends();
        await expect(sameFor((email) => service.confirmLink(user.id, email, '000000', PROBE_PASSWORD))).resolves.toEqual(refused);
        await expect(users.listIdentities(user.id)).resolves.toHaveLength(1);
      });

      it('does the same argon2 work on every path of each step', async () => {
        const { user } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);
        // The dummy hash is made once, at start-up in the app.
        await hasher.onModuleInit();
        const hash = jest.spyOn(PasswordHasher.prototype, 'hash');
        const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
        const steps: Array<[string, (email: string) => Promise<unknown>]> = [
          ['register', (email) => service.register(email, PROBE_PASSWORD)],
          ['confirm', (email) => service.confirm(email, '000000', PROBE_PASSWORD)],
          ['authenticate', (email) => service.authenticate(email, PROBE_PASSWORD)],
          ['startLink', (email) => service.startLink(email, PROBE_PASSWORD)],
          ['confirmLink', (email) => service.confirmLink(user.id, email, '000000', PROBE_PASSWORD)],
        ];
        for (const [step, call] of steps) {
          const work = new Map<State, string>();
          for (const state of STATES) {
            hash.mockClear();
            verify.mockClear();
            await call(addressOf[state]).catch(() => undefined);
            work.set(state, `${step}: ${hash.mock.calls.length} hash, ${verify.mock.calls.length} verify`);
          }
          expect(work.get('unconfirmed')).toBe(work.get('confirmed'));
          expect(work.get('unknown')).toBe(work.get('confirmed'));
        }
        await flushSends();
      });
    });
  });

  describe('wrong-password budget', () => {
    async function spendWrongPasswords(email: string, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        await expect(service.authenticate(email, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      }
    }

    it('still lets the right password in after 9 wrong ones', async () => {
      await registerAndConfirm(ADA);
      await spendWrongPasswords(ADA, 9);

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('refuses even the right password after 10 wrong ones, until the 900 s window ends', async () => {
      await registerAndConfirm(ADA);
      await spendWrongPasswords(ADA, 10);

      const locked = await rejectionOf(service.authenticate(ADA, PASSWORD));
      expect(locked).toBeInstanceOf(RateLimitedError);
      expect((locked as RateLimitedError).retryAfterSeconds).toBe(900);
      expect(locked.message).toBe('Too many wrong passwords. Try again in 15 minutes.');

      clock.advance(899);
      const nearlyThere = await rejectionOf(service.authenticate(ADA, PASSWORD));
      expect(nearlyThere).toBeInstanceOf(RateLimitedError);
      expect((nearlyThere as RateLimitedError).retryAfterSeconds).toBe(1);

      clock.advance(1);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('counts wrong passwords for an unknown address too, and leaves other addresses alone', async () => {
      await registerAndConfirm(ADA);
      await spendWrongPasswords('nobody@example.com', 10);

      await expect(service.authenticate('nobody@example.com', PASSWORD)).rejects.toBeInstanceOf(RateLimitedError);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });

      clock.advance(900);
      await expect(service.authenticate('nobody@example.com', PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('counts every spelling of an address as the same address', async () => {
      await registerAndConfirm(ADA);
      for (let i = 0; i < 10; i++) {
        const spelling = i % 2 === 0 ? ' ADA@example.com' : 'Ada@Example.Com ';
        await expect(service.authenticate(spelling, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      }

      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(RateLimitedError);
    });
  });

  describe('rehash on login', () => {
    async function accountHashedWith(config: PasswordConfig): Promise<string> {
      const oldHash = await new PasswordHasher(config).hash(PASSWORD);
      const t = clock.nowMs();
      await db
        .insertInto('email_accounts')
        .values({ email: ADA, password_hash: oldHash, display_name: null, verified_at: t, created_at: t, updated_at: t })
        .execute();
      return oldHash;
    }

    it('replaces a hash made with other parameters by one with the current parameters after a successful login', async () => {
      const oldHash = await accountHashedWith({ ...passwordConfig, memoryKib: 9216, timeCost: 2 });
      expect(oldHash).toMatch(/\$m=9216,t=2,p=1\$/);

      // A wrong password proves nothing: the old hash stays.
      await expect(service.authenticate(ADA, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expect(accountOf(ADA)).resolves.toMatchObject({ password_hash: oldHash });

      clock.advance(60);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });

      const account = await accountOf(ADA);
      expect(account?.password_hash).not.toBe(oldHash);
      expect(account?.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      expect(account?.updated_at).toBe(clock.nowMs());
      expect(hasher.needsRehash(account?.password_hash ?? '')).toBe(false);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('leaves a current hash alone on login', async () => {
      const currentHash = await accountHashedWith(passwordConfig);

      await service.authenticate(ADA, PASSWORD);
      await service.authenticate(ADA, PASSWORD);

      // A rehash would draw a new salt, so the string would differ.
      await expect(accountOf(ADA)).resolves.toMatchObject({ password_hash: currentHash });
    });
  });

  describe('password reset', () => {
    it('emails an email-reset code to a known address', async () => {
      await registerAndConfirm(ADA);

      await expect(service.requestReset(' Ada@Example.com')).resolves.toBeUndefined();
      await flushSends();

      const resets = sender.to(ADA, 'email-reset');
      expect(resets).toHaveLength(1);
      expect(resets[0].code).toMatch(/^\d{6}$/);
      expect(resets[0].text).toContain(resets[0].code);
    });

    it('sets the new password and ends every session of the user, and only theirs', async () => {
      await registerAndConfirm(ADA);
      await loggedIn(emailLogin(ADA), ['ada-phone-token', 'ada-laptop-token']);
      await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['bob-token']);
      const code = await resetCodeFor(ADA);

      await expect(service.reset(ADA, code, NEW_PASSWORD)).resolves.toBeUndefined();

      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expectLoggedOut('ada-phone-token');
      await expectLoggedOut('ada-laptop-token');
      await expect(sessions.authenticate('bob-token')).resolves.toMatchObject({ user: { address: '18005551234' } });
      // Their tokens are revoked at mesibo too; Bob's is not.
      expect(mesibo.revoked.map((revoked) => revoked.token).sort()).toEqual(['ada-laptop-token', 'ada-phone-token']);
    });

    it('is single use: the same code does not set a password twice', async () => {
      await registerAndConfirm(ADA);
      const code = await resetCodeFor(ADA);
      await service.reset(ADA, code, NEW_PASSWORD);

      await expect(service.reset(ADA, code, 'yet another fine passphrase')).rejects.toBeInstanceOf(InvalidCodeError);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('refuses a wrong code and keeps the old password', async () => {
      await registerAndConfirm(ADA);
      const code = await resetCodeFor(ADA);

      await expect(service.reset(ADA, wrongCode(code), NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('refuses a weak new password without using up the code', async () => {
      await registerAndConfirm(ADA);
      const code = await resetCodeFor(ADA);

      await expect(service.reset(ADA, code, 'iloveyou')).rejects.toBeInstanceOf(WeakPasswordError);
      await expect(service.authenticate(ADA, 'iloveyou')).rejects.toBeInstanceOf(InvalidCredentialsError);

      await expect(service.reset(ADA, code, NEW_PASSWORD)).resolves.toBeUndefined();
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });

    it('keeps reset codes and confirmation codes apart', async () => {
      const verifyCode = await register(ADA);
      let resetCode = await resetCodeFor(ADA);
      // Two random codes can coincide (1 in a million); draw the reset code again if they do.
      while (resetCode === verifyCode) {
        clock.advance(30);
        resetCode = await resetCodeFor(ADA);
      }

      await expect(service.confirm(ADA, resetCode, PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);
      await expect(accountOf(ADA)).resolves.toMatchObject({ verified_at: null });
      await expect(service.reset(ADA, verifyCode, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);

      // Each works for its own purpose.
      await service.confirm(ADA, verifyCode, PASSWORD);
      await service.reset(ADA, resetCode, NEW_PASSWORD);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
    });
  });

  describe('changePassword', () => {
    async function adaLoggedIn(): Promise<{ user: UserRow; sessionIds: string[] }> {
      await registerAndConfirm(ADA);
      return loggedIn(emailLogin(ADA), ['current-token', 'other-token']);
    }

    it('refuses a wrong current password with InvalidCredentialsError and changes nothing', async () => {
      const { user, sessionIds } = await adaLoggedIn();
      const before = await accountOf(ADA);

      await expect(service.changePassword(user.id, sessionIds[0], WRONG_PASSWORD, NEW_PASSWORD)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );

      await expect(accountOf(ADA)).resolves.toEqual(before);
      await expect(sessions.authenticate('current-token')).resolves.toMatchObject({ user: { id: user.id } });
      await expect(sessions.authenticate('other-token')).resolves.toMatchObject({ user: { id: user.id } });
    });

    it('with the right current password sets the new one and ends the other sessions, keeping the current one', async () => {
      const { user, sessionIds } = await adaLoggedIn();

      await service.changePassword(user.id, sessionIds[0], PASSWORD, NEW_PASSWORD);

      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(sessions.authenticate('current-token')).resolves.toMatchObject({ session: { id: sessionIds[0] } });
      await expectLoggedOut('other-token');
      expect(mesibo.revoked.map((revoked) => revoked.token)).toEqual(['other-token']);
    });

    it('refuses a weak new password', async () => {
      const { user, sessionIds } = await adaLoggedIn();

      await expect(service.changePassword(user.id, sessionIds[0], PASSWORD, 'ada')).rejects.toBeInstanceOf(WeakPasswordError);

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(sessions.authenticate('other-token')).resolves.toMatchObject({ user: { id: user.id } });
    });

    it('answers NotFoundError for a user without an email login', async () => {
      const { user, sessionIds } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);

      await expect(service.changePassword(user.id, sessionIds[0], PASSWORD, NEW_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('abuse of pending accounts and linking', () => {
    // Someone registers the owner's address with their own password before the owner confirms.
    it("lets the owner confirm with their code and password after someone else registered the address again, and never Mallory's password", async () => {
      const ownersCode = await register(ADA, PASSWORD, 'Ada');
      clock.advance(10);
      // Inside the resend cooldown: no new code is sent, the owner's code stays the one.
      await service.register(ADA, NEW_PASSWORD, 'Mallory');
      await flushSends();
      expect(sender.to(ADA, 'email-verify')).toHaveLength(1);

      await expect(service.confirm(ADA, ownersCode, PASSWORD, 'Ada')).resolves.toBeUndefined();

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA, displayName: 'Ada' });
      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('after the cooldown, a registration by someone else sends the owner a newer code, which confirms with their password', async () => {
      await register(ADA, PASSWORD);
      clock.advance(31);
      await service.register(ADA, NEW_PASSWORD, 'Mallory');
      await flushSends();
      expect(sender.to(ADA, 'email-verify')).toHaveLength(2);

      await service.confirm(ADA, sender.lastCode('email-verify', ADA), PASSWORD);

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it("cannot log in with the password given at registration before the code was entered, even by its owner", async () => {
      await register(ADA, PASSWORD);
      await register(BOB, PASSWORD);

      const pending = await rejectionOf(service.authenticate(ADA, PASSWORD));
      const unknown = await rejectionOf(service.authenticate('nobody@example.com', PASSWORD));
      expect(pending).toBeInstanceOf(InvalidCredentialsError);
      expect(pending.message).toBe(unknown.message);
    });

    it('refuses an account registered before confirming set the password exactly like a wrong password', async () => {
      // An unconfirmed row as earlier versions left it: the hash of the registration's password.
      const t = clock.nowMs();
      await db
        .insertInto('email_accounts')
        .values({ email: ADA, password_hash: await hasher.hash(PASSWORD), display_name: null, verified_at: null, created_at: t, updated_at: t })
        .execute();

      const refused = await rejectionOf(service.authenticate(ADA, PASSWORD));
      expect(refused).toBeInstanceOf(InvalidCredentialsError);
      expect(refused.message).toBe((await rejectionOf(service.authenticate(ADA, WRONG_PASSWORD))).message);
    });

    it("links a confirmed address that no user logs in with yet, with the code and the password given with it", async () => {
      await registerAndConfirm(ADA);
      const { user } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);

      clock.advance(31);
      await service.startLink(ADA, NEW_PASSWORD);
      await flushSends();
      await service.confirmLink(user.id, ADA, sender.lastCode('email-verify', ADA), NEW_PASSWORD);

      expect((await users.listIdentities(user.id)).map((identity) => identity.method).sort()).toEqual(['email', 'phone']);
      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('links an unknown address with the code: the account is created confirmed, with the password given with the code', async () => {
      const { user } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);

      await service.startLink(BOB, PASSWORD);
      await flushSends();
      clock.advance(5);
      await service.confirmLink(user.id, BOB, sender.lastCode('email-verify', BOB), NEW_PASSWORD);

      await expect(accountOf(BOB)).resolves.toMatchObject({ verified_at: clock.nowMs(), display_name: null });
      await expect(service.authenticate(BOB, NEW_PASSWORD)).resolves.toMatchObject({ subject: BOB });
      expect((await users.listIdentities(user.id)).map((identity) => identity.method).sort()).toEqual(['email', 'phone']);
    });

    it('refuses to link an address that logs in to another user, only after the code, and leaves its account alone', async () => {
      await registerAndConfirm(ADA);
      await loggedIn(emailLogin(ADA), ['ada-token']);
      const { user } = await loggedIn({ method: 'phone', subject: '18005551234', address: '18005551234' }, ['phone-token']);
      const before = await accountOf(ADA);

      clock.advance(31);
      await service.startLink(ADA, NEW_PASSWORD);
      await flushSends();
      const code = sender.lastCode('email-verify', ADA);
      await expect(service.confirmLink(user.id, ADA, wrongCode(code), NEW_PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);
      await expect(service.confirmLink(user.id, ADA, code, NEW_PASSWORD)).rejects.toBeInstanceOf(IdentityInUseError);

      await expect(accountOf(ADA)).resolves.toEqual(before);
      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(users.listIdentities(user.id)).resolves.toHaveLength(1);
    });

    it("confirming a confirmed address with a code it received sets the new password and ends the user's sessions, as a reset does", async () => {
      await registerAndConfirm(ADA);
      await loggedIn(emailLogin(ADA), ['ada-token']);
      clock.advance(31);
      await service.startLink(ADA, NEW_PASSWORD);
      await flushSends();

      await service.confirm(ADA, sender.lastCode('email-verify', ADA), NEW_PASSWORD);

      await expect(service.authenticate(ADA, NEW_PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expectLoggedOut('ada-token');
    });
  });

  describe('with email login disabled', () => {
    let disabled: EmailLoginService;
    let ada: { user: UserRow; sessionIds: string[] };
    let pendingLinkCode: string;

    beforeEach(async () => {
      // State made while it was enabled: Ada's confirmed login and session, and a link of Bob's
      // address started by Ada, whose code is pending.
      await registerAndConfirm(ADA);
      ada = await loggedIn(emailLogin(ADA), ['ada-token']);
      await service.startLink(BOB, NEW_PASSWORD);
      await flushSends();
      pendingLinkCode = sender.lastCode('email-verify', BOB);
      issueSpy.mockClear();

      disabled = build({ ...emailConfig, loginEnabled: false });
    });

    afterEach(async () => {
      await flushSends();
      expect(issueSpy).not.toHaveBeenCalled();
    });

    it('register throws NotFoundError and creates nothing', async () => {
      await expect(disabled.register('carol@example.net', PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
      await expect(accountOf('carol@example.net')).resolves.toBeUndefined();
    });

    it('confirm throws NotFoundError, even with the right code', async () => {
      await expect(disabled.confirm(BOB, pendingLinkCode, NEW_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
      await expect(accountOf(BOB)).resolves.toBeUndefined();
    });

    it('authenticate throws NotFoundError, even with the right password', async () => {
      await expect(disabled.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
      await expect(disabled.authenticate('nobody@example.com', PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('requestReset throws NotFoundError and sends nothing', async () => {
      await expect(disabled.requestReset(ADA)).rejects.toBeInstanceOf(NotFoundError);
      expect(sender.to(ADA, 'email-reset')).toHaveLength(0);
    });

    it('reset throws NotFoundError, even with a valid code, and the password stays', async () => {
      const code = await resetCodeFor(ADA);
      issueSpy.mockClear();

      await expect(disabled.reset(ADA, code, NEW_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);

      await expect(service.authenticate(ADA, PASSWORD)).resolves.toMatchObject({ subject: ADA });
      await expect(sessions.authenticate('ada-token')).resolves.toMatchObject({ user: { id: ada.user.id } });
    });

    it('startLink throws NotFoundError and creates nothing', async () => {
      await expect(disabled.startLink('carol@example.net', PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
      await expect(accountOf('carol@example.net')).resolves.toBeUndefined();
    });

    it('changePassword throws NotFoundError', async () => {
      await expect(disabled.changePassword(ada.user.id, ada.sessionIds[0], PASSWORD, NEW_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('confirmLink throws NotFoundError', async () => {
      await expect(disabled.confirmLink(ada.user.id, BOB, pendingLinkCode, NEW_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
