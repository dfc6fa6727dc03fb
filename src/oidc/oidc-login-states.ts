import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { WebLoginStatesRepository } from '../auth/web-login/web-login-states.repository';
import { Clock } from '../common/clock';
import { InvalidRequestError } from '../common/errors';
import { openidClient } from './oidc-libraries';

/** How long a started web login may take to come back. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;

/** A web login between the redirect to the provider and its callback. */
export interface OidcLoginState {
  state: string;
  provider: string;
  nonce: string;
  codeVerifier: string;
  appId: string;
  returnTo?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * The single-use `state`, `nonce` and PKCE verifier of web logins, kept in the database so any
 * instance can finish a login another one started.
 */
@Injectable()
export class OidcLoginStates {
  constructor(
    private readonly states: WebLoginStatesRepository,
    private readonly clock: Clock,
  ) {}

  async begin(provider: string, appId: string, returnTo: string | undefined): Promise<OidcLoginState> {
    const now = this.clock.nowMs();
    await this.states.deleteExpired(now);
    const login: OidcLoginState = {
      state: randomToken(),
      provider,
      nonce: randomToken(),
      codeVerifier: openidClient().generators.codeVerifier(),
      appId,
      returnTo,
      expiresAt: now + LOGIN_STATE_TTL_MS,
    };
    await this.states.insert({
      state: login.state,
      provider,
      code_verifier: login.codeVerifier,
      nonce: login.nonce,
      app_id: appId,
      return_to: returnTo ?? null,
      created_at: now,
      expires_at: login.expiresAt,
    });
    return login;
  }

  /**
   * Takes the login `state` stands for, once: a second use finds nothing. Check it with
   * `ensureUsable` before trusting it; taking it first lets a refusal still go back to its app.
   */
  async take(state: string | undefined): Promise<OidcLoginState> {
    const row = state ? await this.states.take(state) : undefined;
    if (!row) throw expiredOrUsed();
    return {
      state: row.state,
      provider: row.provider,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      appId: row.app_id,
      returnTo: row.return_to ?? undefined,
      expiresAt: Number(row.expires_at),
    };
  }

  /** Refuses a login that expired, or that was started with another provider. */
  ensureUsable(login: OidcLoginState, provider: string): void {
    if (login.expiresAt <= this.clock.nowMs() || login.provider !== provider) throw expiredOrUsed();
  }
}

function expiredOrUsed(): InvalidRequestError {
  return new InvalidRequestError('This login has expired or was already used. Start the login again.');
}

/** 256 random bits, URL-safe: 43 characters. */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
