/**
 * Domain errors. Services throw these; each surface maps `code` to its own answer
 * (an HTTP status and problem+json on the REST API, an error code on the legacy op API).
 * Messages are safe to show to a user and never contain a secret.
 */
export type DomainErrorCode =
  | 'invalid_request'
  | 'invalid_phone'
  | 'phone_not_allowed'
  | 'missing_appid'
  | 'invalid_code'
  | 'rate_limited'
  | 'invalid_token'
  | 'mesibo_refused'
  | 'mesibo_misconfigured'
  | 'mesibo_unavailable'
  | 'otp_delivery_failed'
  | 'service_unavailable'
  | 'invalid_credentials'
  | 'weak_password'
  | 'identity_in_use'
  | 'last_identity'
  | 'identity_removed'
  | 'recent_proof_required'
  | 'not_found'
  | 'provider_unavailable'
  | 'invalid_id_token'
  | 'origin_not_allowed'
  | 'challenge_required'
  | 'negotiate_required'
  | 'login_method_unavailable'
  | 'address_not_allowed'
  | 'account_disabled'
  | 'login_refused'
  | 'login_hook_unavailable';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  /** Fields both surfaces add to the answer (problem+json extension members; op API reply fields). */
  readonly replyFields?: Readonly<Record<string, string>>;
  /** The WWW-Authenticate header of a 401 on the REST surface; `Bearer` when not set. */
  readonly wwwAuthenticate?: string;
}

export class InvalidRequestError extends DomainError {
  readonly code = 'invalid_request';
  constructor(
    message: string,
    /** Field-level reasons, when the input was an object with bad fields. */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export class InvalidPhoneError extends DomainError {
  readonly code = 'invalid_phone';
  constructor() {
    super('The phone number is not valid. Use the full international number.');
  }
}

/** The number is valid, but codes are not sent to its kind (premium rate, …) or its country. */
export class PhoneNotAllowedError extends DomainError {
  readonly code = 'phone_not_allowed';
  constructor() {
    super('Codes cannot be sent to this phone number. Use a mobile number.');
  }
}

export class MissingAppIdError extends DomainError {
  readonly code = 'missing_appid';
  constructor() {
    super('The appid is missing.');
  }
}

/** `not_accepted` stands for any of the others where telling them apart would reveal whether an account exists. */
export type InvalidCodeReason = 'wrong' | 'expired' | 'used_up' | 'none_pending' | 'not_accepted';

export class InvalidCodeError extends DomainError {
  readonly code = 'invalid_code';
  constructor(readonly reason: InvalidCodeReason) {
    super(
      reason === 'wrong'
        ? 'The code is not correct.'
        : reason === 'not_accepted'
          ? 'The code is not correct, or it is no longer valid. Check it, or request a new code.'
          : 'The code has expired or was already used. Request a new code.',
    );
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** Which limit refused (`password-failures`, `otp-sends`, `requests`, …): a metric label, never shown. */
    readonly kind = 'other',
  ) {
    super(message);
  }
}

export class InvalidTokenError extends DomainError {
  readonly code = 'invalid_token';
  constructor() {
    super('The access token is missing, expired or revoked.');
  }
}

/** mesibo answered, and said no (for example an address it does not accept). */
export class MesiboRefusedError extends DomainError {
  readonly code = 'mesibo_refused';
  constructor(readonly mesiboError: string | undefined) {
    super('mesibo refused to create the user.');
  }
}

/** mesibo rejected our App Token: the server is misconfigured, not the user. */
export class MesiboMisconfiguredError extends DomainError {
  readonly code = 'mesibo_misconfigured';
  constructor() {
    super('The server could not authenticate with mesibo. Contact the app owner.');
  }
}

export class MesiboUnavailableError extends DomainError {
  readonly code = 'mesibo_unavailable';
  constructor() {
    super('mesibo cannot be reached right now. Try again shortly.');
  }
}

export class OtpDeliveryError extends DomainError {
  readonly code = 'otp_delivery_failed';
  constructor() {
    super('The code could not be sent. Try again shortly.');
  }
}

/** A dependency of ours (the database) cannot be reached; the request may be retried. */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'service_unavailable';
  constructor() {
    super('The service is temporarily unavailable. Try again shortly.');
  }
}

/**
 * Wrong email or password, no such account, or an address not confirmed yet: one answer for all,
 * so nobody learns which accounts exist.
 */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'invalid_credentials';
  /** Other methods say what their credentials are: `Wrong username or password.` */
  constructor(message = 'Wrong email or password, or the address is not confirmed yet.') {
    super(message);
  }
}

export class WeakPasswordError extends DomainError {
  readonly code = 'weak_password';
  constructor(reason: string) {
    super(reason);
  }
}

/** The login method proven belongs to another user already. */
export class IdentityInUseError extends DomainError {
  readonly code = 'identity_in_use';
  constructor(message = 'This login is already linked to another account.') {
    super(message);
  }
}

export class LastIdentityError extends DomainError {
  readonly code = 'last_identity';
  constructor() {
    super('This is the only way to log in to the account; link another before removing it.');
  }
}

/**
 * The owner removed this login method from the account whose mesibo address it is; it does not log
 * in to that account again unless the owner links it again.
 */
export class IdentityRemovedError extends DomainError {
  readonly code = 'identity_removed';
  constructor() {
    super('This login was removed from its account. Log in another way and link it again to use it.');
  }
}

/** The session is older than the recent-proof window: prove the account again, then retry. */
export class RecentProofRequiredError extends DomainError {
  readonly code = 'recent_proof_required';
  constructor() {
    super('Confirm it is you first: enter your password or a code sent to your phone, then try again.');
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(what: string) {
    super(`${what} was not found.`);
  }
}

/** An OpenID Connect / OAuth2 provider could not be reached (discovery, keys, token exchange). */
export class ProviderUnavailableError extends DomainError {
  readonly code = 'provider_unavailable';
  constructor() {
    super('The login provider cannot be reached right now. Try again shortly.');
  }
}

/** The provider's proof of the login was not accepted: an ID token, an authorization code, or its answer. */
export class InvalidIdTokenError extends DomainError {
  readonly code = 'invalid_id_token';
  constructor(message = 'The ID token is not valid for this provider.') {
    super(message);
  }
}

/**
 * A browser page from an origin not in CORS_ORIGINS asked us to send a code. CORS cannot stop such a
 * request (a form or text/plain POST needs no preflight), so it is refused here.
 */
export class OriginNotAllowedError extends DomainError {
  readonly code = 'origin_not_allowed';
  constructor() {
    super('Requests from this web page may not send codes.');
  }
}

/**
 * The method needs a second answer before it proves the login (a RADIUS server's Access-Challenge:
 * a token code). The client sends the same request again with `state` and its `response`.
 */
export class LoginChallengeError extends DomainError {
  readonly code = 'challenge_required';
  override readonly replyFields: Readonly<Record<string, string>>;

  constructor(state: string, prompt: string) {
    super(prompt || 'Enter the code requested by your login server.');
    this.replyFields = { state, challenge: this.message };
  }
}

/** SPNEGO: the client must send `Authorization: Negotiate <token>` (a Kerberos ticket), or the next token of the exchange. */
export class NegotiateRequiredError extends DomainError {
  readonly code = 'negotiate_required';
  override readonly wwwAuthenticate: string;

  constructor(serverToken?: string) {
    super('Log in with Kerberos: send the request with an Authorization: Negotiate header.');
    this.wwwAuthenticate = serverToken ? `Negotiate ${serverToken}` : 'Negotiate';
  }
}

/** The method is configured but cannot run here (a native module missing) or its server is unreachable. */
export class LoginMethodUnavailableError extends DomainError {
  readonly code = 'login_method_unavailable';
  constructor(message = 'This login method is not available right now. Try again shortly.') {
    super(message);
  }
}

/**
 * A login whose method did not prove its address asked for a phone number or an email address as
 * its mesibo address. Those are proven by codes; whoever later proves one joins the account that
 * owns it, so a method that proved neither must not take one.
 */
export class AddressNotAllowedError extends DomainError {
  readonly code = 'address_not_allowed';
  constructor() {
    super('This login cannot use a phone number or an email address as its mesibo address. Contact the app owner.');
  }
}

/** An operator disabled the account (admin API or CLI): no login reaches it until it is enabled again. */
export class AccountDisabledError extends DomainError {
  readonly code = 'account_disabled';
  constructor() {
    super('This account is disabled. Contact the app owner.');
  }
}

/** The owner's before-token hook refused the login; its message (or ours) is what the user is shown. */
export class LoginRefusedError extends DomainError {
  readonly code = 'login_refused';
  constructor(message?: string) {
    super(message ?? 'The app owner does not allow this login.');
  }
}

/** The before-token hook could not be asked (down, slow, a nonsense answer) and BEFORE_TOKEN_HOOK_FAILURE=closed. */
export class LoginHookUnavailableError extends DomainError {
  readonly code = 'login_hook_unavailable';
  constructor() {
    super('Logins cannot be checked right now. Try again in a moment.');
  }
}

/** The message of anything thrown, for a log line. */
export function errorMessage(error: unknown): string {
  // Not `instanceof Error`: errors from native drivers may come from another realm.
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? 'unknown error';
}
