import { isEmail } from 'class-validator';
import { InvalidRequestError } from '../../common/errors';

/** One spelling per mailbox: trimmed and lowercased (it is also the mesibo address). */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !isEmail(email)) throw new InvalidRequestError('The email address is not valid.');
  return email;
}
