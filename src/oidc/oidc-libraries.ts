import type * as Jose from 'jose';
import type * as OpenidClient from 'openid-client';

// openid-client and jose are loaded by the first login through a provider, not at start-up: a
// service without OIDC_PROVIDERS never needs them. Their types are imported as types only.

/** openid-client: discovery, the authorization code flow, PKCE values. */
export function openidClient(): typeof OpenidClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('openid-client') as typeof OpenidClient;
}

/** jose: ID token signatures and the providers' key sets. */
export function jose(): typeof Jose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('jose') as typeof Jose;
}
