import { Injectable, Logger } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { InvalidIdTokenError, ProviderUnavailableError, errorMessage } from '../common/errors';
import { OidcDiscoveryProviderConfig } from '../config/oidc.config';
import { nonceMatches } from './id-token-nonce';
import { jose } from './oidc-libraries';
import { OidcProviders } from './oidc-providers';

/** jose errors that mean the provider's key set could not be had, not that the token is bad. */
const KEY_SET_TROUBLE = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);
/** Slack between the provider's clock and ours, for `exp` and `iat`. */
export const ID_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;
/** The `typ` of an OAuth access token in JWT form (RFC 9068): never an ID token. */
const ACCESS_TOKEN_TYP = /^(application\/)?at\+jwt$/i;

/**
 * Checks an ID token an app got from the provider's own SDK: its signature against the provider's
 * JWKS, `iss`, `aud` (our client id or one of the extra audiences, and `azp` too when there are
 * several), `exp`, `iat` (not in the future, not older than ID_TOKEN_MAX_AGE_SECONDS), that it is
 * not an access token (`typ: at+jwt`), and `nonce` when the app sent one. Times are compared with
 * the real clock, as the provider's are.
 */
@Injectable()
export class IdTokenVerifier {
  private readonly logger = new Logger(IdTokenVerifier.name);

  constructor(private readonly providers: OidcProviders) {}

  async verify(provider: OidcDiscoveryProviderConfig, idToken: string, nonce?: string): Promise<JWTPayload> {
    const { issuer, jwks } = await this.providers.discover(provider);
    const { errors, jwtVerify } = jose();
    const audiences = [provider.clientId, ...provider.audiences];
    let payload: JWTPayload;
    let typ: string | undefined;
    try {
      ({ payload, protectedHeader: { typ } } = await jwtVerify(idToken, jwks, {
        issuer,
        audience: audiences,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: ID_TOKEN_CLOCK_TOLERANCE_SECONDS,
        // Also refuses an `iat` in the future.
        maxTokenAge: provider.idTokenMaxAgeSeconds,
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
    const refusal = this.refusalOf(payload, typ, audiences, nonce);
    if (refusal) {
      this.logger.log(`ID token of ${provider.name} refused: ${refusal}`);
      throw new InvalidIdTokenError();
    }
    return payload;
  }

  /** What is wrong with a token whose signature and standard claims checked out; undefined when nothing. */
  private refusalOf(payload: JWTPayload, typ: string | undefined, audiences: string[], nonce: string | undefined): string | undefined {
    if (typ !== undefined && ACCESS_TOKEN_TYP.test(typ)) return 'an access token (typ at+jwt), not an ID token';
    // OpenID Connect Core 3.1.3.7: with several audiences, the party it was issued to must be us.
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && !(typeof payload.azp === 'string' && audiences.includes(payload.azp))) {
      return 'several audiences, and azp is not one of ours';
    }
    if (nonce !== undefined && !nonceMatches(payload.nonce, nonce)) return 'nonce mismatch';
    return undefined;
  }
}
