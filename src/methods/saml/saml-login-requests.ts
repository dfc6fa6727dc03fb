import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { WebLoginStatesRepository } from '../../auth/web-login/web-login-states.repository';
import { Clock } from '../../common/clock';
import { InvalidRequestError } from '../../common/errors';

/** How long a started login may take to come back, as for OpenID Connect. */
export const SAML_LOGIN_TTL_MS = 10 * 60_000;
/**
 * The `provider` of our rows in the web login states: not a possible OpenID Connect provider
 * name, so neither flow can finish a login of the other.
 */
const SAML_STATE_KIND = 'saml:';

/** A login between our AuthnRequest and the identity provider's answer. */
export interface SamlLoginRequest {
  /** The ID of our AuthnRequest, which the answer must be InResponseTo; also its RelayState. */
  requestId: string;
  appId: string;
  returnTo?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * The AuthnRequests we issued, kept in the database with the OpenID Connect login states, so any
 * instance finishes a login another one started; each is taken once by the answer to it. An
 * answer to a request we did not issue (or issued for another login, or already answered) finds
 * nothing here: unsolicited (IdP-initiated) answers are refused.
 */
@Injectable()
export class SamlLoginRequests {
  constructor(
    private readonly states: WebLoginStatesRepository,
    private readonly clock: Clock,
  ) {}

  async begin(appId: string, returnTo: string | undefined): Promise<SamlLoginRequest> {
    const now = this.clock.nowMs();
    await this.states.deleteExpired(now);
    // An xs:ID must not start with a digit; 256 random bits after the underscore.
    const login: SamlLoginRequest = { requestId: `_${randomBytes(32).toString('base64url')}`, appId, returnTo, expiresAt: now + SAML_LOGIN_TTL_MS };
    await this.states.insert({
      state: login.requestId,
      provider: SAML_STATE_KIND,
      code_verifier: '',
      nonce: '',
      app_id: appId,
      return_to: returnTo ?? null,
      created_at: now,
      expires_at: login.expiresAt,
    });
    return login;
  }

  /**
   * Takes the login the RelayState names, once: a second use finds nothing. Check it with
   * `ensureUsable` before trusting it; taking it first lets a refusal still go back to its app.
   */
  async take(relayState: string): Promise<SamlLoginRequest & { kind: string }> {
    const row = await this.states.take(relayState);
    if (!row) throw expiredOrUsed();
    return {
      kind: row.provider,
      requestId: row.state,
      appId: row.app_id,
      returnTo: row.return_to ?? undefined,
      expiresAt: Number(row.expires_at),
    };
  }

  /** Refuses a login that expired, or that an OpenID Connect login started. */
  ensureUsable(login: SamlLoginRequest & { kind: string }): void {
    if (login.expiresAt <= this.clock.nowMs() || login.kind !== SAML_STATE_KIND) throw expiredOrUsed();
  }
}

function expiredOrUsed(): InvalidRequestError {
  return new InvalidRequestError('This login has expired or was already used. Start the login again.');
}
