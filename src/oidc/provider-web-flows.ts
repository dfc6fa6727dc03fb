import { Injectable } from '@nestjs/common';
import { OidcProviderConfig } from '../config/oidc.config';
import { OAuth2CodeFlow } from './oauth2-code-flow';
import { OidcCodeFlow } from './oidc-code-flow';
import { ProviderClaims } from './oidc-identity';
import { OidcLoginState } from './oidc-login-states';

/** The browser login with a provider, by its type: OpenID Connect, or plain OAuth2. */
@Injectable()
export class ProviderWebFlows {
  constructor(
    private readonly oidc: OidcCodeFlow,
    private readonly oauth2: OAuth2CodeFlow,
  ) {}

  /** Where to send the browser to log in. */
  async authorizationUrl(provider: OidcProviderConfig, login: OidcLoginState): Promise<string> {
    return provider.type === 'oidc' ? this.oidc.authorizationUrl(provider, login) : this.oauth2.authorizationUrl(provider, login);
  }

  /** Who the provider says logged in, from the parameters of its redirect back to us. */
  finish(provider: OidcProviderConfig, params: Record<string, string>, login: OidcLoginState): Promise<ProviderClaims> {
    return provider.type === 'oidc' ? this.oidc.finish(provider, params, login) : this.oauth2.finish(provider, params, login);
  }
}
