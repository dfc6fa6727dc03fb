import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { InvalidRequestError } from '../../common/errors';
import { IdTokenUses } from '../id-token-uses';
import { IdTokenVerifier } from '../id-token-verifier';
import { oidcIdentity } from '../oidc-identity';
import { OidcProviders } from '../oidc-providers';

export const OIDC_ID_TOKEN_STRATEGY = 'oidc-id-token';

/**
 * An ID token the app got from the provider's own SDK (native login, and linking): body fields
 * `idToken` and `nonce`, the nonce the app put in it (not required of a provider with
 * REQUIRE_NONCE=false). The provider comes from the route. A token proves a login once.
 */
@Injectable()
export class OidcIdTokenStrategy extends PassportStrategy(Strategy, OIDC_ID_TOKEN_STRATEGY) {
  constructor(
    private readonly providers: OidcProviders,
    private readonly verifier: IdTokenVerifier,
    private readonly uses: IdTokenUses,
  ) {
    super();
  }

  async validate(req: Request): Promise<VerifiedIdentity> {
    const provider = this.providers.get(String(req.params.provider));
    if (provider.type !== 'oidc') {
      throw new InvalidRequestError(`${provider.name} is an OAuth2 provider without ID tokens; use the web login.`);
    }
    const { idToken, nonce } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof idToken !== 'string' || (nonce !== undefined && typeof nonce !== 'string')) {
      throw new InvalidRequestError('idToken (and nonce, when given) must be strings');
    }
    if (nonce === undefined && provider.requireNonce) {
      throw new InvalidRequestError('nonce is required: send the nonce the app put in the ID token.', [
        'nonce must be the nonce given to the provider, or the value whose SHA-256 (hex) was given',
      ]);
    }
    const payload = await this.verifier.verify(provider, idToken, nonce);
    const identity = oidcIdentity(provider, payload);
    // A login that then fails on our side or mesibo's gives the use back (AuthService.completeLogin).
    const restoreProof = await this.uses.claim(provider.name, idToken, payload, provider.idTokenMaxAgeSeconds);
    return { ...identity, restoreProof };
  }
}
