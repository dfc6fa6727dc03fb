import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { Clock } from '../../common/clock';
import { LoginMethodUnavailableError } from '../../common/errors';
import { appConfig, passwordConfig } from '../../config';
import { CounterStore } from '../../database/counter-store';
import { FailureBudget, passwordFailureBudget } from '../../limits/failure-budget';
import { LdapDirectory } from './ldap-directory';
import { identityOf } from './ldap-identity';
import { ldapSettings } from './ldap.settings';

/**
 * The budget's name for a username: the spellings a directory treats as one (case, surrounding and
 * repeated spaces, compatibility forms) count against one budget, hashed to keep counter keys short.
 */
export function usernameBudgetKey(username: string): string {
  const folded = username.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  return createHash('sha256').update(folded).digest('base64url').slice(0, 32);
}

/**
 * An LDAP login: the wrong-password budgets, the directory's proof, and the identity it gives.
 * The budgets are those of email logins (PASSWORD_MAX_FAILURES_*): a unit is claimed per username
 * and per client before the server is asked, and given back when the password was right or when
 * the server could not answer (an outage must not lock anybody out).
 */
@Injectable()
export class LdapLoginService {
  private readonly logger = new Logger('LdapLogin');
  private readonly failures: FailureBudget;

  constructor(
    private readonly directory: LdapDirectory,
    counters: CounterStore,
    clock: Clock,
    @Inject(passwordConfig.KEY) password: ConfigType<typeof passwordConfig>,
    @Inject(ldapSettings.KEY) private readonly settings: ConfigType<typeof ldapSettings>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {
    this.failures = passwordFailureBudget(counters, clock, password, 'ldap-password-failures');
  }

  async authenticate(rawUsername: string, password: string, client: string): Promise<VerifiedIdentity> {
    const username = rawUsername.trim();
    const attempt = await this.failures.claim(usernameBudgetKey(username), client);
    let identity: VerifiedIdentity | undefined;
    try {
      const entry = await this.directory.authenticate(username, password);
      identity = identityOf(entry, this.settings, this.app.phoneDefaultRegion);
      if (!identity) {
        this.logger.warn(`LDAP login refused: the entry has no usable ${this.settings.attributes.id} (LDAP_ID_ATTRIBUTE)`);
        throw new LoginMethodUnavailableError();
      }
    } catch (error) {
      if (error instanceof LoginMethodUnavailableError) await attempt.refund();
      throw error;
    }
    await attempt.refund();
    return identity;
  }
}
