import { InvalidRequestError } from '../../common/errors';

export const USERNAME_RULE =
  '3 to 64 characters: lowercase letters a-z, digits, and . _ - inside; at least one letter (so it is never a phone number)';

/** ASCII only, so look-alike letters from other scripts cannot make a second "admin". */
const SHAPE = /^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$/;
const HAS_LETTER = /[a-z]/;

/**
 * The one spelling of a username: trimmed and lowercased, so `Ada` and `ada` are one account.
 * Returns undefined when the result breaks the rule (USERNAME_RULE). A username is also the mesibo
 * address of its user, which is why it must not look like a phone number or an email address.
 */
export function normalizeUsername(raw: string): string | undefined {
  const username = raw.trim().toLowerCase();
  return SHAPE.test(username) && HAS_LETTER.test(username) ? username : undefined;
}

/** As normalizeUsername, for a username being created: InvalidRequestError names the rule. */
export function newUsername(raw: string): string {
  const username = normalizeUsername(raw);
  if (username === undefined) throw new InvalidRequestError(`The username is not valid: ${USERNAME_RULE}.`, [`username must be ${USERNAME_RULE}`]);
  return username;
}
