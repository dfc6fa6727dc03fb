import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock';
import { EmailNotVerifiedError, errorMessage, InvalidCredentialsError, NotFoundError, RateLimitedError } from '../../common/errors';
import { emailConfig, passwordConfig } from '../../config';
import { CounterStore } from '../../database/counter-store';
import { EmailAccountRow } from '../../database/schema';
import { OtpChannel } from '../../otp/otp.repository';
import { OtpService } from '../../otp/otp.service';
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
 * emailed code, and change. Registration, login and reset answer the same whether or not an
 * account exists: same result, and about the same time (a password is always hashed or checked,
 * and emails are sent after the answer).
 */
@Injectable()
export class EmailLoginService {
  private readonly logger = new Logger(EmailLoginService.name);

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
  ) {}

  async register(rawEmail: string, password: string, name?: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    const passwordHash = await this.hasher.hash(password);
    const account = await this.accounts.findByEmail(email);
    // A confirmed account is left alone: its owner can log in or reset the password.
    if (isConfirmed(account)) return;
    await this.accounts.savePending(email, passwordHash, name ?? null, this.clock.nowMs());
    this.sendCodeAfterReply('email-verify', email);
  }

  /**
   * Confirms the address. The code proves the mailbox and the password proves the registration:
   * without it, someone who registered the same address with their own password before the owner
   * confirmed would get the account.
   */
  async confirm(rawEmail: string, code: string, password: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    await this.checkPassword(email, password);
    await this.otp.verify('email-verify', email, code);
    await this.accounts.markVerified(email, this.clock.nowMs());
  }

  /** Proves an email login; the one check behind the `local` strategy. */
  async authenticate(rawEmail: string, password: string): Promise<VerifiedIdentity> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    const account = await this.checkPassword(email, password);
    if (account.verified_at === null) throw new EmailNotVerifiedError();
    if (this.hasher.needsRehash(account.password_hash)) {
      await this.accounts.setPassword(email, await this.hasher.hash(password), this.clock.nowMs());
    }
    return { method: EMAIL_METHOD, subject: email, address: email, displayName: account.display_name ?? undefined, verified: true };
  }

  async requestReset(rawEmail: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    if (await this.accounts.findByEmail(email)) this.sendCodeAfterReply('email-reset', email);
  }

  /** Sets a new password with the emailed code, and ends every session of the user. */
  async reset(rawEmail: string, code: string, password: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    assertAcceptablePassword(password, email);
    await this.otp.verify('email-reset', email, code);
    await this.accounts.setPassword(email, await this.hasher.hash(password), this.clock.nowMs(), true);
    // The owner proved the mailbox: earlier wrong guesses no longer hold the account.
    await this.counters.reset(failureKey(email));
    const user = await this.users.findByIdentity(EMAIL_METHOD, email);
    if (user) await this.sessions.endAllForUser(user.id);
  }

  /** A logged-in user changes the password of their email login; their other sessions end. */
  async changePassword(userId: string, currentSessionId: string, current: string, next: string): Promise<void> {
    this.assertEnabled();
    const identity = (await this.users.listIdentities(userId)).find((candidate) => candidate.method === EMAIL_METHOD);
    if (!identity) throw new NotFoundError('An email login of this account');
    const account = await this.checkPassword(identity.subject, current);
    assertAcceptablePassword(next, account.email);
    await this.accounts.setPassword(account.email, await this.hasher.hash(next), this.clock.nowMs());
    await this.sessions.endAllForUser(userId, currentSessionId);
  }

  /**
   * Starts linking an email login to a logged-in user: the password is set (or, for a confirmed
   * account, checked) and a code goes to the address; `confirmLink` finishes.
   */
  async startLink(rawEmail: string, password: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    const account = await this.accounts.findByEmail(email);
    if (isConfirmed(account)) {
      await this.checkPassword(email, password);
    } else {
      assertAcceptablePassword(password, email);
      await this.accounts.savePending(email, await this.hasher.hash(password), null, this.clock.nowMs());
    }
    this.sendCodeAfterReply('email-verify', email);
  }

  async confirmLink(userId: string, rawEmail: string, code: string, password: string): Promise<void> {
    this.assertEnabled();
    const email = normalizeEmail(rawEmail);
    await this.checkPassword(email, password);
    await this.otp.verify('email-verify', email, code);
    const now = this.clock.nowMs();
    await this.accounts.markVerified(email, now);
    await this.users.linkIdentity(userId, { method: EMAIL_METHOD, subject: email, verified: true }, now);
  }

  /**
   * The account, when `password` is its password; InvalidCredentialsError otherwise, the same for
   * an unknown address (checked against a dummy hash, so it takes as long). Every wrong password
   * counts against the address, whatever the entry point; past the budget, RateLimitedError.
   */
  private async checkPassword(email: string, password: string): Promise<EmailAccountRow> {
    const spent = await this.counters.get(failureKey(email));
    if (spent.value >= this.config.maxFailuresPerWindow) {
      const wait = Math.max(1, Math.ceil((spent.expiresAt - this.clock.nowMs()) / 1000));
      throw new RateLimitedError(`Too many wrong passwords. Try again in ${Math.ceil(wait / 60)} minutes.`, wait);
    }
    const account = await this.accounts.findByEmail(email);
    const matches = account ? await this.hasher.verify(account.password_hash, password) : false;
    if (!account) await this.hasher.verifyAgainstDummy(password);
    if (!account || !matches) {
      // Counted for unknown addresses too, so the limit itself tells nothing.
      await this.counters.increment(failureKey(email), this.config.failureWindowSeconds);
      throw new InvalidCredentialsError();
    }
    return account;
  }

  private assertEnabled(): void {
    if (!this.email.loginEnabled) throw new NotFoundError('Email login');
  }

  /** Sends without making the caller wait, so the answer does not reveal whether an email went out. */
  private sendCodeAfterReply(channel: OtpChannel, email: string): void {
    this.otp.issue(channel, email).catch((error: unknown) => {
      // A cooldown is expected when someone asks twice; anything else is worth a line.
      if (!(error instanceof RateLimitedError)) this.logger.warn(`Could not send a ${channel} code: ${errorMessage(error)}`);
    });
  }
}

function failureKey(email: string): string {
  return `password-failures:${email}`;
}

function isConfirmed(account: EmailAccountRow | undefined): account is EmailAccountRow {
  return account !== undefined && account.verified_at !== null;
}
