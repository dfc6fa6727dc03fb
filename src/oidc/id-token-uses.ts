import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { InvalidIdTokenError } from '../common/errors';
import { CounterStore } from '../database/counter-store';
import { ID_TOKEN_CLOCK_TOLERANCE_SECONDS } from './id-token-verifier';

/**
 * Each ID token an app sends logs in (or links) once: its use is claimed on the shared counter
 * store, keyed by its SHA-256, for as long as the verifier would still accept it, so a replay is
 * refused on every instance. A nonce alone does not stop replays: the app makes it up, and the
 * token shows it (or its hash) to whoever holds it.
 */
@Injectable()
export class IdTokenUses {
  private readonly logger = new Logger(IdTokenUses.name);

  constructor(private readonly counters: CounterStore) {}

  /**
   * Claims the one use of a verified token; `invalid_id_token` when it was used already. Returns
   * what gives the use back, for when the login it was for did not happen (mesibo down, say).
   */
  async claim(providerName: string, idToken: string, payload: JWTPayload, maxAgeSeconds: number): Promise<() => Promise<void>> {
    const key = `id-token:${createHash('sha256').update(idToken, 'utf8').digest('hex')}`;
    const { granted } = await this.counters.take(key, 1, secondsAcceptable(payload, maxAgeSeconds));
    if (!granted) {
      this.logger.log(`ID token of ${providerName} refused: already used`);
      throw new InvalidIdTokenError('This ID token was already used. Sign in with the provider again.');
    }
    return () => this.counters.refund(key);
  }
}

/** Until the token expires, or gets too old, with the verifier's clock tolerance; at least a second. */
function secondsAcceptable(payload: JWTPayload, maxAgeSeconds: number): number {
  const nowSeconds = Date.now() / 1000;
  const expiry = Math.min(payload.exp ?? Infinity, (payload.iat ?? nowSeconds) + maxAgeSeconds);
  return Math.max(1, Math.ceil(expiry + ID_TOKEN_CLOCK_TOLERANCE_SECONDS - nowSeconds));
}
