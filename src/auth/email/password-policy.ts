import { dictionary } from '@zxcvbn-ts/language-common';
import { WeakPasswordError } from '../../common/errors';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

// ~49,000 passwords most often found in breaches, shipped with zxcvbn-ts.
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));

/**
 * NIST SP 800-63B style: length 8 to 128 characters, no composition rules, and not a password
 * from the list of the most common ones (nor the account's own email). Throws WeakPasswordError.
 */
export function assertAcceptablePassword(password: string, email?: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (length > MAX_PASSWORD_LENGTH) throw new WeakPasswordError(`The password must have at most ${MAX_PASSWORD_LENGTH} characters.`);
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) throw new WeakPasswordError('This password is too common; choose another.');
  if (email && (lowered === email.toLowerCase() || lowered === email.split('@')[0].toLowerCase())) {
    throw new WeakPasswordError('The password must not be your email address.');
  }
}
