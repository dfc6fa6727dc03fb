import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** A code of `length` decimal digits from the CSPRNG, leading zeros kept. */
export function generateCode(length: number): string {
  return randomInt(0, 10 ** length)
    .toString()
    .padStart(length, '0');
}

/**
 * The stored form of a code: an HMAC keyed by the server secret and bound to the destination,
 * so a leaked table neither reveals codes nor lets one row's hash be replayed for another number.
 */
export function hashCode(secret: Buffer, channel: string, destination: string, code: string): string {
  return createHmac('sha256', secret).update(`${channel}\0${destination}\0${code}`).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
