import { VerifiedIdentity } from '../auth/verified-identity';
import { InvalidIdTokenError } from '../common/errors';
import { normalizeEmail } from '../auth/email/email-address';
import { characterProblem } from '../common/field-rules';

/** What a provider told us about the user, from an ID token, a userinfo answer, or both. */
export interface ProviderClaims {
  sub?: unknown;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
}

/** The login method of a provider: `oidc:<name>`. */
export function oidcMethod(providerName: string): string {
  return `oidc:${providerName}`;
}

/**
 * The identity a provider proved. The mesibo address a NEW user gets is the provider's email only
 * when the owner allows it (EMAIL_AS_ADDRESS) and the provider says it verified that email;
 * otherwise `<provider>:<subject>`, which no other login can claim. An existing user keeps the
 * address it has (AuthService decides that).
 */
export function oidcIdentity(provider: { name: string; emailAsAddress: boolean }, claims: ProviderClaims): VerifiedIdentity {
  const subject = typeof claims.sub === 'number' ? String(claims.sub) : claims.sub;
  // OpenID Connect caps `sub` at 255 ASCII characters; so does our identities table. No NUL or controls either.
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 255 || characterProblem(subject, 'line')) {
    throw new InvalidIdTokenError('The provider did not say who the user is (no subject).');
  }
  // The one spelling of an address that email logins use too, so the two meet on one user.
  const email = providerEmail(claims.email);
  // Some providers send the flag as a string.
  const emailVerified = claims.email_verified === true || claims.email_verified === 'true';
  const useEmail = provider.emailAsAddress && emailVerified && email !== undefined;
  // A display name is a nicety: one the database could not store is dropped, not refused.
  const name = typeof claims.name === 'string' && !characterProblem(claims.name, 'line') ? claims.name.trim().slice(0, 255) : '';
  return {
    method: oidcMethod(provider.name),
    subject,
    address: useEmail && email ? email : `${provider.name}:${subject}`,
    ...(name ? { displayName: name } : {}),
    verified: true,
  };
}

/** The provider's email in normalized form, or undefined when it is not a usable address. */
function providerEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    return normalizeEmail(raw);
  } catch {
    return undefined;
  }
}
