import { loadOtpConfig } from '../../config/otp.config';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../../test/support/fake-clock';
import {
  DomainError,
  EmailNotVerifiedError,
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
import { hashUserToken, SessionsService } from '../sessions.service';
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
 * Stand-in for MesiboTokenService. None of the paths tested here calls mesibo: ending sessions
 * (reset, change of password) only marks our session rows, and login tokens are not minted by
 * EmailLoginService. So only `revokeUserToken`, which SessionsService could reach, exists; it
 * records its calls, and the tests check that none was made.
 */
class RecordingMesiboTokens {
  readonly revoked: UserTokenToRevoke[] = [];

  revokeUserToken(revoke: UserTokenToRevoke): Promise<void> {
    this.revoked.push(revoke);
    return Promise.resolve();
  }
}

// Small argon2id parameters (the floor of the config) keep every hash around 10 ms.
const passwordConfig: PasswordConfig = { memoryKib: 8192, timeCost: 1, parallelism: 1, maxFailuresPerWindow: 10, failureWindowSeconds: 900 };

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
    sessions = new SessionsService(sessionsRepository, users, mesibo as unknown as MesiboTokenService, clock);
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
        await sessionsRepository.insert(
          { user_id: login.user.id, token_hash: hashUserToken(token), app_id: 'com.example.app', device: null, created_at: now, expires_at: now + 3_600_000 },
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
    it('emails a code; before confirming, the right password gets EmailNotVerified and a wrong one InvalidCredentials; then it logs in', async () => {
      await expect(service.register(ADA, PASSWORD, 'Ada Lovelace')).resolves.toBeUndefined();
      await flushSends();

      expect(sender.sent).toHaveLength(1);
      const [message] = sender.sent;
      expect(message).toMatchObject({ channel: 'email-verify', to: ADA });
      expect(message.code).toMatch(/^\d{6}$/);
      expect(message.subject).toContain(message.code);
      await expect(accountOf(ADA)).resolves.toMatchObject({ email: ADA, display_name: 'Ada Lovelace', verified_at: null });

      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(EmailNotVerifiedError);
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
      await register(ADA);

      const account = await accountOf(ADA);
      expect(account?.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      expect(account?.password_hash).not.toContain(PASSWORD);
    });

    it('refuses a wrong confirmation code and leaves the account unconfirmed', async () => {
      const code = await register(ADA);

      await expect(service.confirm(ADA, wrongCode(code), PASSWORD)).rejects.toBeInstanceOf(InvalidCodeError);

      await expect(accountOf(ADA)).resolves.toMatchObject({ verified_at: null });
      await expect(service.authenticate(ADA, PASSWORD)).rejects.toBeInstanceOf(EmailNotVerifiedError);
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
      // Ending sessions marks our rows only; mesibo is not called.
      expect(mesibo.revoked).toEqual([]);
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
      expect(mesibo.revoked).toEqual([]);
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
    // A second registrant may replace the pending password, but confirming takes the password too,
    // so the owner's code never confirms someone else's password (account pre-hijacking).
    it("does not let a second registrant's password log in once the owner enters the first code", async () => {
      const ownersCode = await register(ADA, PASSWORD);
      clock.advance(10);
      await service.register(ADA, NEW_PASSWORD, 'Mallory');
      await flushSends();

      // A fix may keep the first password, or void the first code; either way Mallory must not get in.
      await service.confirm(ADA, ownersCode, PASSWORD).catch(() => undefined);

      await expect(service.authenticate(ADA, NEW_PASSWORD)).rejects.toBeInstanceOf(DomainError);
    });

    // startLink checks the password of a confirmed account: it counts against the same budget.
    it('counts wrong passwords given to startLink against the budget of the address', async () => {
      await registerAndConfirm(ADA);
      for (let i = 0; i < 10; i++) {
        await expect(service.startLink(ADA, WRONG_PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      }

      await expect(service.startLink(ADA, PASSWORD)).rejects.toBeInstanceOf(RateLimitedError);
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
      await expect(accountOf(BOB)).resolves.toMatchObject({ verified_at: null });
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
