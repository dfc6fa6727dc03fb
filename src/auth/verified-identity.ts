/**
 * What a strategy proves: who the user is by one method. Strategies return this and nothing
 * else; turning it into a user, a session and a mesibo token is AuthService's job.
 */
export interface VerifiedIdentity {
  /** The login method: `phone` (later `email`, `oidc:<provider>`, `ldap`). */
  method: string;
  /** Unique within the method: the normalized phone, the email, the provider's subject. */
  subject: string;
  /** The mesibo address a new user gets; an existing user keeps the one it has. */
  address: string;
  displayName?: string;
  /** Whether the method proved control of `address` (a code was received there). */
  verified: boolean;
  /**
   * Puts a one-time proof back (the code) when the login it was used for failed on our side or
   * mesibo's, so the user can retry with the same code. Absent for proofs that can be repeated.
   */
  restoreProof?: () => Promise<void>;
}
