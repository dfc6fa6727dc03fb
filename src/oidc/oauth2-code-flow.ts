import { Injectable, Logger } from '@nestjs/common';
import { InvalidIdTokenError } from '../common/errors';
import { OAuth2ProviderConfig } from '../config/oidc.config';
import { ProviderClaims } from './oidc-identity';
import { openidClient } from './oidc-libraries';
import { OidcLoginState } from './oidc-login-states';
import { OidcProviders } from './oidc-providers';
import { ProviderHttpError, providerFailure } from './provider-failure';

const TIMEOUT_MS = 5000;

/**
 * The authorization code flow with a plain OAuth2 provider (GitHub and the like): no ID token, so
 * the user is whoever the userinfo endpoint says the access token belongs to. PKCE is always
 * sent; providers without it ignore it.
 */
@Injectable()
export class OAuth2CodeFlow {
  private readonly logger = new Logger(OAuth2CodeFlow.name);

  constructor(private readonly providers: OidcProviders) {}

  authorizationUrl(provider: OAuth2ProviderConfig, login: OidcLoginState): string {
    const url = new URL(provider.authorizationUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', provider.clientId);
    url.searchParams.set('redirect_uri', this.providers.redirectUri(provider));
    if (provider.scopes.length > 0) url.searchParams.set('scope', provider.scopes.join(' '));
    url.searchParams.set('state', login.state);
    url.searchParams.set('code_challenge', openidClient().generators.codeChallenge(login.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  async finish(provider: OAuth2ProviderConfig, params: Record<string, string>, login: OidcLoginState): Promise<ProviderClaims> {
    if (!params.code) throw new InvalidIdTokenError('The provider sent no authorization code.');
    let profile: unknown;
    try {
      const accessToken = await this.exchange(provider, params.code, login);
      profile = await this.fetchJson(provider.userinfoUrl, 'userinfo', {
        headers: { authorization: `Bearer ${accessToken}` },
      });
    } catch (error) {
      throw providerFailure(this.logger, provider.name, 'login', error);
    }
    return {
      sub: field(profile, provider.fields.subject),
      email: field(profile, provider.fields.email),
      // Only an explicit `email_verified: true` counts; GitHub sends none, so its emails never do.
      email_verified: field(profile, 'email_verified') === true,
      name: field(profile, provider.fields.name),
    };
  }

  private async exchange(provider: OAuth2ProviderConfig, code: string, login: OidcLoginState): Promise<string> {
    const tokens = await this.fetchJson(provider.tokenUrl, 'token endpoint', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.providers.redirectUri(provider),
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        code_verifier: login.codeVerifier,
      }).toString(),
    });
    const accessToken = field(tokens, 'access_token');
    if (typeof accessToken !== 'string' || accessToken === '') {
      // GitHub answers a bad code with 200 and {"error": "bad_verification_code"}.
      const error = field(tokens, 'error');
      throw new ProviderHttpError(400, `token endpoint (${typeof error === 'string' ? error : 'no access_token'})`);
    }
    return accessToken;
  }

  private async fetchJson(
    url: string,
    what: string,
    init: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<unknown> {
    const response = await fetch(url, {
      ...init,
      headers: { accept: 'application/json', 'user-agent': 'mesibo-private-backend', ...init.headers },
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) throw new ProviderHttpError(response.status, what);
    return response.json();
  }
}

/** A value at a dotted path of a JSON object (`id`, `data.id`); undefined when absent. */
function field(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}
