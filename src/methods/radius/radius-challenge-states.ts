import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, createHmac } from 'node:crypto';
import { SessionTokenCipher } from '../../auth/sessions.token-cipher';
import { otpConfig } from '../../config';

/** What the client carries from the challenge to its answer. */
export interface PendingChallenge {
  /** The State attribute of the Access-Challenge, sent back with the answer. */
  radiusState: Buffer;
  /** The label of the server that asked: only it knows the State. */
  server: string;
  expiresAtMs: number;
}

/**
 * Seals the state of a challenge before it goes to the client: AES-256-GCM (the session token
 * cipher) under a key of its own derived from OTP_SECRET, with the user name as associated data.
 * So the client cannot read or change it, a state opens only for the user it was issued to, and
 * any instance can open it.
 */
@Injectable()
export class RadiusChallengeStates {
  private readonly cipher: SessionTokenCipher;

  constructor(@Inject(otpConfig.KEY) otp: Pick<ConfigType<typeof otpConfig>, 'secret'>) {
    // Its own key, so a sealed session token never opens as a challenge state, nor the other way round.
    this.cipher = new SessionTokenCipher({ secret: createHmac('sha256', otp.secret).update('radius-challenge-state').digest() });
  }

  seal(username: string, challenge: PendingChallenge): string {
    const payload = JSON.stringify({ s: challenge.radiusState.toString('base64'), v: challenge.server, e: challenge.expiresAtMs });
    return this.cipher.seal(payload, contextFor(username));
  }

  /** The challenge, or undefined when the state was not sealed here for this user, or has expired. */
  open(username: string, sealed: string, nowMs: number): PendingChallenge | undefined {
    const payload = this.cipher.open(sealed, contextFor(username));
    if (payload === undefined) return undefined;
    const fields = JSON.parse(payload) as { s?: unknown; v?: unknown; e?: unknown };
    if (typeof fields.s !== 'string' || typeof fields.v !== 'string' || typeof fields.e !== 'number') return undefined;
    if (fields.e <= nowMs) return undefined;
    return { radiusState: Buffer.from(fields.s, 'base64'), server: fields.v, expiresAtMs: fields.e };
  }
}

/** A short, fixed-size name of a sealed state, for counting its uses. */
export function sealedStateKey(sealed: string): string {
  return createHash('sha256').update(sealed, 'utf8').digest('base64url');
}

function contextFor(username: string): string {
  return `radius challenge\n${username}`;
}
