import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PasswordHasher } from '../../auth/email/password-hasher';
import { assertAcceptablePassword } from '../../auth/email/password-policy';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { Clock } from '../../common/clock';
import { IdentityInUseError, InvalidCredentialsError } from '../../common/errors';
import { passwordConfig } from '../../config';
import { CounterStore } from '../../database/counter-store';
import { FailureBudget, passwordFailureBudget } from '../../limits/failure-budget';
import { UNKNOWN_CLIENT } from '../../otp/otp.service';
import { UsernameAccountsRepository } from './username-accounts.repository';
import { newUsername, normalizeUsername } from './username';

export const USERNAME_METHOD = 'username';
const WRONG = 'Wrong username or password.';

/**
 * Username and password accounts. The password rules, the hashing and the wrong-password budgets
 * are the email method's (PASSWORD_* settings); the budget of an account is its own.
 */
@Injectable()
export class UsernameAccountsService {
  private readonly passwordFailures: FailureBudget;

  constructor(
    private readonly accounts: UsernameAccountsRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    counters: CounterStore,
    @Inject(passwordConfig.KEY) config: ConfigType<typeof passwordConfig>,
  ) {
    this.passwordFailures = passwordFailureBudget(counters, clock, config, 'password-failures');
  }

  /** Creates an account (an operator, or self-registration); IdentityInUseError when the username is taken. Returns the username as stored. */
  async create(rawUsername: string, password: string, displayName?: string): Promise<string> {
    const username = newUsername(rawUsername);
    assertAcceptablePassword(password, username);
    const now = this.clock.nowMs();
    const passwordHash = await this.hasher.hash(password);
    const created = await this.accounts.insert({ username, password_hash: passwordHash, display_name: displayName ?? null, created_at: now, updated_at: now });
    if (!created) throw new IdentityInUseError('This username is taken.');
    return username;
  }

  /**
   * Proves a username login. A unit of the account's and the client's wrong-password budgets is
   * claimed before the password is checked, and given back when it was right. An unknown or
   * malformed username is checked against a dummy hash and counts like a wrong password.
   */
  async authenticate(rawUsername: string, password: string, client: string = UNKNOWN_CLIENT): Promise<VerifiedIdentity> {
    const username = normalizeUsername(rawUsername) ?? rawUsername.trim().toLowerCase();
    const attempt = await this.passwordFailures.claim(`${USERNAME_METHOD}:${username}`, client);
    const account = await this.accounts.findByUsername(username);
    const matches = account ? await this.hasher.verify(account.password_hash, password) : false;
    if (!account) await this.hasher.verifyAgainstDummy(password);
    if (!account || !matches) throw new InvalidCredentialsError(WRONG);
    await attempt.refund();
    if (this.hasher.needsRehash(account.password_hash)) {
      await this.accounts.setPasswordHash(username, await this.hasher.hash(password), this.clock.nowMs());
    }
    // The username is its user's mesibo address; nothing about it was proven, so it joins no other account.
    return { method: USERNAME_METHOD, subject: username, address: username, displayName: account.display_name ?? undefined, verified: false };
  }
}
