import { Injectable, Logger } from '@nestjs/common';
import type { TokenSet } from 'openid-client';
import { OidcDiscoveryProviderConfig } from '../config/oidc.config';
import { ProviderClaims } from './oidc-identity';
import { openidClient } from './oidc-libraries';
import { OidcLoginState } from './oidc-login-states';
import { OidcProviders } from './oidc-providers';
import { providerFailure } from './provider-failure';

/**
 * The authorization code flow with an OpenID Connect provider, through openid-client: it checks
 * the state, exchanges the code with the PKCE verifier, and verifies the ID token (signature,
 * `iss`, `aud`, `exp`, `nonce`).
 */
@Injectable()
export class OidcCodeFlow {
  private readonly logger = new Logger(OidcCodeFlow.name);

  constructor(private readonly providers: OidcProviders) {}

  async authorizationUrl(provider: OidcDiscoveryProviderConfig, login: OidcLoginState): Promise<string> {
    const { client } = await this.providers.discover(provider);
    return client.authorizationUrl({
      redirect_uri: this.providers.redirectUri(provider),
      scope: provider.scopes.join(' '),
      state: login.state,
      nonce: login.nonce,
      code_challenge: openidClient().generators.codeChallenge(login.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  async finish(provider: OidcDiscoveryProviderConfig, params: Record<string, string>, login: OidcLoginState): Promise<ProviderClaims> {
    const { client } = await this.providers.discover(provider);
    let tokens: TokenSet;
    try {
      tokens = await client.callback(this.providers.redirectUri(provider), params, {
        response_type: 'code',
        state: login.state,
        nonce: login.nonce,
        code_verifier: login.codeVerifier,
      });
    } catch (error) {
      throw providerFailure(this.logger, provider.name, 'code exchange', error);
    }
    const claims = tokens.claims();
    // Many providers put email and name only in userinfo when an access token comes with the ID token.
    if (claims.email !== undefined || !tokens.access_token || !client.issuer.metadata.userinfo_endpoint) return claims;
    try {
      // Given the token set, openid-client checks that userinfo speaks of the same `sub`.
      return { ...(await client.userinfo(tokens)), ...claims };
    } catch (error) {
      throw providerFailure(this.logger, provider.name, 'userinfo', error);
    }
  }
}
