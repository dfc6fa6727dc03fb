import { Injectable, Logger } from '@nestjs/common';
import { errors, jwtVerify, JWTPayload } from 'jose';
import { InvalidIdTokenError, ProviderUnavailableError, errorMessage } from '../common/errors';
import { OidcDiscoveryProviderConfig } from '../config/oidc.config';
import { OidcProviders } from './oidc-providers';

/** jose errors that mean the provider's key set could not be had, not that the token is bad. */
const KEY_SET_TROUBLE = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/**
 * Checks an ID token an app got from the provider's own SDK: its signature against the provider's
 * JWKS, `iss`, `aud` (our client id or one of the extra audiences), `exp`, and `nonce` when the
 * app says which one it used. Times are compared with the real clock, as the provider's are.
 */
@Injectable()
export class IdTokenVerifier {
  private readonly logger = new Logger(IdTokenVerifier.name);

  constructor(private readonly providers: OidcProviders) {}

  async verify(provider: OidcDiscoveryProviderConfig, idToken: string, nonce?: string): Promise<JWTPayload> {
    const { issuer, jwks } = await this.providers.discover(provider);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer,
        audience: [provider.clientId, ...provider.audiences],
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 30,
      }));
    } catch (error) {
      if (!(error instanceof errors.JOSEError) || KEY_SET_TROUBLE.has(error.code)) {
        this.logger.warn(`Fetching the keys of OIDC provider ${provider.name} failed: ${errorMessage(error)}`);
        throw new ProviderUnavailableError();
      }
      // The reason (expired, wrong audience, bad signature...) only goes to the log.
      this.logger.log(`ID token of ${provider.name} refused: ${error.code}: ${errorMessage(error)}`);
      throw new InvalidIdTokenError();
    }
    if (nonce !== undefined && payload.nonce !== nonce) {
      this.logger.log(`ID token of ${provider.name} refused: nonce mismatch`);
      throw new InvalidIdTokenError();
    }
    return payload;
  }
}
