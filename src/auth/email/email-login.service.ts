import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AuditTrail } from '../../audit/audit-trail';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { Clock } from '../../common/clock';
import { errorMessage, InvalidCodeError, InvalidCredentialsError, NotFoundError, RateLimitedError } from '../../common/errors';
import { emailConfig, passwordConfig } from '../../config';
import { CounterStore } from '../../database/counter-store';
import { EmailAccountRow } from '../../database/schema';
import { OtpChannel } from '../../otp/otp.repository';
import { OtpService, UNKNOWN_CLIENT } from '../../otp/otp.service';
import { FailureBudget, passwordFailureBudget } from '../../limits/failure-budget';
import { UsersService } from '../../users/users.service';
import { SessionsService } from '../sessions.service';
import { VerifiedIdentity } from '../verified-identity';
import { EmailAccountsRepository } from './email-accounts.repository';
import { normalizeEmail } from './email-address';
import { PasswordHasher } from './password-hasher';
import { assertAcceptablePassword } from './password-policy';

export const EMAIL_METHOD = 'email';

/**
 * Email and password accounts: registration confirmed by an emailed code, login, reset by an
 * emailed code, and change. Every step a stranger can call (register, confirm, login, reset,
 * linking) answers a confirmed, an unconfirmed and an unknown address the same way: same result,
 * and about the same time (the same password work on every path, emails sent after the answer).
 * Only an emailed code proves an address; an account is confirmed, with the password given then,
 * when its code comes back.
 */
@Injectable()
export class EmailLoginService {
  private readonly logger = new Logger(EmailLoginService.name);
  private readonly passwordFailures: FailureBudget;

  constructor(
    private readonly accounts: EmailAccountsRepository,
    private readonly hasher: PasswordHasher,
    private readonly otp: OtpService,
    private readonly counters: CounterStore,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
    @Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>,
    @Inject(emailConfig.KEY) private readonly email: ConfigType<typeof emailConfig>,
    @Optional() private readonly audit?: AuditTrail,
  ) {
    this.passwordFailures = passwordFailureBudget(counters, clock, config, 'password-failures');
  }

  async register(rawEmail: string, password: string, name?: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    // Hashed on every path, so a confirmed address takes as long to answer as a new one.
    const placeholder = await this.placeholderPasswordHash();
    const account = await this.accounts.findByEmail(email);
    // A confirmed account is left alone, and its owner is not emailed: they can log in or reset the password.
    if (isConfirmed(account)) return;
    await this.accounts.savePending(email, placeholder, name ?? null, this.clock.nowMs());
    this.sendCodeAfterReply('email-verify', email, client);
  }

  /**
   * Confirms the address with the emailed code and sets the password given here. The code proves
   * the mailbox, so whoever registered the address first (and never got the code) cannot take the
   * account, nor stop its owner. For an address confirmed before, this is a password reset, and
   * the user's sessions end as they do with `reset`. `name`, when given, replaces the registered one.
   */
  async confirm(rawEmail: string, code: string, password: string, name?: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    // Hashed before the code is checked, so every answer takes about as long.
    const passwordHash = await this.hasher.hash(password);
    await this.redeemEmailCode('email-verify', email, code, client);
    const wasConfirmed = await this.accounts.confirmWithPassword(email, passwordHash, name, this.clock.nowMs());
    if (wasConfirmed) {
      // As with a reset: the owner proved the mailbox, so earlier wrong guesses no longer hold the account.
      await this.passwordFailures.forgive(email);
      await this.endEmailLoginSessions(email);
    }
  }

  /** Proves an email login; the one check behind the `local` strategy. */
  async authenticate(rawEmail: string, password: string, client: string = UNKNOWN_CLIENT): Promise<VerifiedIdentity> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    const account = await this.checkPassword(email, password, client);
    // Not confirmed answers exactly like a wrong password. (A pending account holds the hash of a
    // secret nobody knows, so checkPassword already refused it and counted the try; this catches
    // accounts registered before confirming set the password.)
    if (account.verified_at === null) throw new InvalidCredentialsError();
    if (this.hasher.needsRehash(account.password_hash)) {
      await this.accounts.setPassword(email, await this.hasher.hash(password), this.clock.nowMs());
    }
    return { method: EMAIL_METHOD, subject: email, address: email, displayName: account.display_name ?? undefined, verified: true };
  }

  async requestReset(rawEmail: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    if (await this.accounts.findByEmail(email)) this.sendCodeAfterReply('email-reset', email, client);
  }

  /** Sets a new password with the emailed code, and ends every session of the user. */
  async reset(rawEmail: string, code: string, password: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    await this.redeemEmailCode('email-reset', email, code, client);
    await this.accounts.setPassword(email, await this.hasher.hash(password), this.clock.nowMs(), true);
    // The owner proved the mailbox: earlier wrong guesses no longer hold the account.
    await this.passwordFailures.forgive(email);
    const user = await this.users.findByIdentity(EMAIL_METHOD, email);
    if (user) {
      await this.audit?.record({ type: 'password.reset', userId: user.id, method: EMAIL_METHOD });
      await this.sessions.endAllForUser(user.id, 'password-reset');
    }
  }

  /** A logged-in user changes the password of their email login; their other sessions end. */
  async changePassword(userId: string, currentSessionId: string, current: string, next: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const identity = (await this.users.listIdentities(userId)).find((candidate) => candidate.method === EMAIL_METHOD);
    if (!identity) throw new NotFoundError('An email login of this account');
    const account = await this.checkPassword(identity.subject, current, client);
    assertAcceptablePassword(next, account.email);
    await this.accounts.setPassword(account.email, await this.hasher.hash(next), this.clock.nowMs());
    await this.audit?.record({ type: 'password.changed', userId, method: EMAIL_METHOD });
    await this.sessions.endAllForUser(userId, 'password-changed', currentSessionId);
  }

  /**
   * Starts linking an email login to a logged-in user: a code goes to the address, and
   * `confirmLink` finishes with it. Only the password policy is checked, and no account is read:
   * every address with an acceptable password gets the same answer in the same time.
   */
  startLink(rawEmail: string, password: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    // Nothing to wait for (the code is sent after the answer); a refusal still arrives as a rejection.
    return new Promise((resolve) => {
      this.assertEnabled();
      const email = normalizeEmail(rawEmail);
      assertAcceptablePassword(password, email);
      this.sendCodeAfterReply('email-verify', email, client);
      resolve();
    });
  }

  /**
   * Finishes a link with the emailed code: the address becomes a confirmed email login of the user,
   * with the password given here. An address that logs in to another user is refused
   * (IdentityInUseError) only once the code proved the mailbox, so only its owner learns that.
   */
  async confirmLink(userId: string, rawEmail: string, code: string, password: string, client: string = UNKNOWN_CLIENT): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    const passwordHash = await this.hasher.hash(password);
    await this.redeemEmailCode('email-verify', email, code, client);
    const now = this.clock.nowMs();
    // Linked first: when the address belongs to another user, its account stays as it was.
    await this.users.linkIdentity(userId, { method: EMAIL_METHOD, subject: email, verified: true }, now);
    await this.accounts.confirmWithPassword(email, passwordHash, undefined, now);
  }

  /**
   * The account, when `password` is its password; InvalidCredentialsError otherwise, the same for
   * an unknown address (checked against a dummy hash, so it takes as long). Every check first
   * claims a unit of the wrong-password budgets of the address and of the client (whatever the
   * entry point), so a burst cannot try more than they allow; a right password gives it back.
   */
  private async checkPassword(email: string, password: string, client: string = UNKNOWN_CLIENT): Promise<EmailAccountRow> {
    const attempt = await this.passwordFailures.claim(email, client);
    const account = await this.accounts.findByEmail(email);
    const matches = account ? await this.hasher.verify(account.password_hash, password) : false;
    if (!account) await this.hasher.verifyAgainstDummy(password);
    // Unknown addresses count too, so the limit itself tells nothing.
    if (!account || !matches) throw new InvalidCredentialsError();
    await attempt.refund();
    return account;
  }

  /**
   * Uses up an emailed code. Every refusal reads the same (wrong, expired, used up, or none sent):
   * which one it was would tell whether a code went out, and so whether the address has an account.
   */
  private async redeemEmailCode(channel: OtpChannel, email: string, code: string, client: string): Promise<void> {
    try {
      await this.otp.verify(channel, email, code, client);
    } catch (error) {
      if (error instanceof InvalidCodeError) throw new InvalidCodeError('not_accepted');
      throw error;
    }
  }

  /**
   * The password hash of an account waiting for its code: of a random secret nobody knows, so it
   * never logs in, and a wrong-password check against it is an ordinary one. The password that
   * counts is the one given with the code.
   */
  private placeholderPasswordHash(): Promise<string> {
    return this.hasher.hash(randomBytes(32).toString('base64url'));
  }

  private async endEmailLoginSessions(email: string): Promise<void> {
    const user = await this.users.findByIdentity(EMAIL_METHOD, email);
    if (user) await this.sessions.endAllForUser(user.id, 'email-confirmed');
  }

  private assertEnabled(): void {
    if (!this.email.loginEnabled) throw new NotFoundError('Email login');
  }

  /**
   * Sends without making the caller wait, so the answer does not reveal whether an email went out.
   * `client` has the same send budget as for SMS; past it, nothing is sent and the answer is the same.
   */
  private sendCodeAfterReply(channel: OtpChannel, email: string, client: string): void {
    this.otp.issue(channel, email, client).catch((error: unknown) => {
      // A cooldown is expected when someone asks twice; anything else is worth a line.
      if (!(error instanceof RateLimitedError)) this.logger.warn(`Could not send a ${channel} code: ${errorMessage(error)}`);
    });
  }
}

function isConfirmed(account: EmailAccountRow | undefined): account is EmailAccountRow {
  return account !== undefined && account.verified_at !== null;
}
