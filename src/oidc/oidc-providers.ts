import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { JWTVerifyGetKey } from 'jose';
import type { BaseClient, Issuer } from 'openid-client';
import { NotFoundError, ProviderUnavailableError, errorMessage } from '../common/errors';
import { OidcDiscoveryProviderConfig, OidcProviderConfig, oidcConfig } from '../config/oidc.config';
import { jose, openidClient } from './oidc-libraries';

/** An OpenID Connect provider after discovery: an openid-client client and the provider's signing keys. */
export interface DiscoveredProvider {
  /** The `iss` its ID tokens carry, as the discovery document says. */
  issuer: string;
  client: BaseClient;
  /** The provider's JWKS, fetched on demand and refetched when a token names an unknown key. */
  jwks: JWTVerifyGetKey;
}

/**
 * The configured providers, by name. OpenID Connect providers are discovered on first use and the
 * result is kept, so start-up never depends on a provider being up; a failed discovery is retried
 * by the next request.
 */
@Injectable()
export class OidcProviders {
  private readonly logger = new Logger(OidcProviders.name);
  private readonly discovered = new Map<string, Promise<DiscoveredProvider>>();

  constructor(@Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>) {}

  /** The configured provider of that name; `not_found` for any other (also when the feature is off). */
  get(name: string): OidcProviderConfig {
    const provider = this.config.providers.find((candidate) => candidate.name === name);
    if (!provider) throw new NotFoundError('The login provider');
    return provider;
  }

  /** Where the provider sends the browser back: registered with the provider as the redirect URI. */
  redirectUri(provider: Pick<OidcProviderConfig, 'name'>): string {
    return `${this.config.callbackBaseUrl}/v1/auth/oidc/${provider.name}/callback`;
  }

  /** Whether `returnTo` is one of OIDC_RETURN_URLS, exactly. */
  isAllowedReturnUrl(returnTo: string): boolean {
    return this.config.returnUrls.includes(returnTo);
  }

  discover(provider: OidcDiscoveryProviderConfig): Promise<DiscoveredProvider> {
    let discovery = this.discovered.get(provider.name);
    if (!discovery) {
      discovery = this.runDiscovery(provider);
      this.discovered.set(provider.name, discovery);
      // Forget a failure, so the next request tries again.
      void discovery.catch(() => this.discovered.delete(provider.name));
    }
    return discovery;
  }

  private async runDiscovery(provider: OidcDiscoveryProviderConfig): Promise<DiscoveredProvider> {
    const openid = openidClient();
    let issuer: Issuer;
    try {
      issuer = await openid.Issuer.discover(provider.issuer);
    } catch (error) {
      this.logger.warn(`Discovery of OIDC provider ${provider.name} at ${provider.issuer} failed: ${errorMessage(error)}`);
      throw new ProviderUnavailableError();
    }
    const { jwks_uri: jwksUri } = issuer.metadata;
    if (!jwksUri) {
      this.logger.error(`OIDC provider ${provider.name} publishes no jwks_uri; its ID tokens cannot be checked`);
      throw new ProviderUnavailableError();
    }
    const client = new issuer.Client({
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
      redirect_uris: [this.redirectUri(provider)],
      response_types: ['code'],
    });
    // As the ID token check of the native flow: a little slack between the provider's clock and ours.
    client[openid.custom.clock_tolerance] = 30;
    this.logger.log(`Discovered OIDC provider ${provider.name} (${issuer.metadata.issuer})`);
    return { issuer: issuer.metadata.issuer, client, jwks: jose().createRemoteJWKSet(new URL(jwksUri)) };
  }
}
