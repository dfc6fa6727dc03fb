import { Injectable, Logger } from '@nestjs/common';
import { Request } from 'express';
import { createHash } from 'node:crypto';
import { JWTPayload } from 'jose';
import { InvalidIdTokenError, errorMessage } from '../common/errors';
import { CounterStore } from '../database/counter-store';
import { ID_TOKEN_CLOCK_TOLERANCE_SECONDS } from './id-token-verifier';

const claimedBy = new WeakMap<Request, string>();

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

  /** Claims the one use of a verified token for `req`; `invalid_id_token` when it was used already. */
  async claim(req: Request, providerName: string, idToken: string, payload: JWTPayload, maxAgeSeconds: number): Promise<void> {
    const key = `id-token:${createHash('sha256').update(idToken, 'utf8').digest('hex')}`;
    const { granted } = await this.counters.take(key, 1, secondsAcceptable(payload, maxAgeSeconds));
    if (!granted) {
      this.logger.log(`ID token of ${providerName} refused: already used`);
      throw new InvalidIdTokenError('This ID token was already used. Sign in with the provider again.');
    }
    claimedBy.set(req, key);
  }

  /** Gives the use claimed for `req` back, when the login it was for did not happen. */
  async release(req: Request): Promise<void> {
    const key = claimedBy.get(req);
    if (key === undefined) return;
    claimedBy.delete(req);
    try {
      await this.counters.refund(key);
    } catch (error) {
      // The failure of the login itself is what the app must hear about.
      this.logger.warn(`Giving back the use of an ID token failed: ${errorMessage(error)}`);
    }
  }
}

/** Until the token expires, or gets too old, with the verifier's clock tolerance; at least a second. */
function secondsAcceptable(payload: JWTPayload, maxAgeSeconds: number): number {
  const nowSeconds = Date.now() / 1000;
  const expiry = Math.min(payload.exp ?? Infinity, (payload.iat ?? nowSeconds) + maxAgeSeconds);
  return Math.max(1, Math.ceil(expiry + ID_TOKEN_CLOCK_TOLERANCE_SECONDS - nowSeconds));
}
