import { createHmac } from 'node:crypto';
import { sameSecret } from '../../common/credentials';

/** The signature of a ticket: base64url HMAC-SHA256 of `<user>\n<expires>`. The issuing system computes the same. */
export function signTicket(secret: string, user: string, expires: string): string {
  return createHmac('sha256', secret).update(`${user}\n${expires}`).digest('base64url');
}

/** Whether `signature` is the ticket's, compared in constant time. */
export function hasValidSignature(secret: string, user: string, expires: string, signature: string): boolean {
  return sameSecret(signature, signTicket(secret, user, expires));
}
