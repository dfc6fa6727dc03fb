import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { otpConfig } from '../config';

/** HKDF `info`: keeps this key apart from every other use of OTP_SECRET. */
const KEY_LABEL = 'mesibo-backend session token encryption v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The AES-256 key for session tokens, derived from the server secret. */
export function deriveSessionTokenKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_LABEL, 32));
}

/**
 * Seals the mesibo token of a session (AES-256-GCM, random IV), so that ending the session can
 * also revoke the token at mesibo while the database holds nothing usable. `context` (the token's
 * hash) is bound as associated data: a sealed token copied to another session row does not open.
 */
@Injectable()
export class SessionTokenCipher {
  private readonly key: Buffer;

  constructor(@Inject(otpConfig.KEY) otp: Pick<ConfigType<typeof otpConfig>, 'secret'>) {
    this.key = deriveSessionTokenKey(otp.secret);
  }

  seal(token: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The token, or undefined when it does not open (another key, another row, or altered). */
  open(sealed: string, context: string): string | undefined {
    const [version, payload] = sealed.split('.');
    if (version !== VERSION || !payload) return undefined;
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
