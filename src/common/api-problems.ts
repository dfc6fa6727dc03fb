import { SetMetadata } from '@nestjs/common';
import { DomainErrorCode } from './errors';

export const API_PROBLEMS = 'apiProblems';

/**
 * Names the stable error codes a route's own work can answer with (its services, its strategy), for
 * the OpenAPI document. What every route of its kind can answer is added there without being named
 * here: bad input, the request budget of /v1/auth, the bearer token, the Origin check of routes
 * that send codes, recent proof and an unreachable database (src/http/problem-responses.ts).
 */
export const ApiProblems = (...codes: DomainErrorCode[]): MethodDecorator => SetMetadata(API_PROBLEMS, codes);

/** AuthService.completeLogin, after the identity was proven: the account rules, then mesibo. */
export const LOGIN_COMPLETION_PROBLEMS: readonly DomainErrorCode[] = [
  'identity_in_use',
  'identity_removed',
  'address_not_allowed',
  'account_disabled',
  'login_refused',
  'login_hook_unavailable',
  'mesibo_refused',
  'mesibo_misconfigured',
  'mesibo_unavailable',
];

/** PhoneLoginService.requestCode: the number, the send budgets and the SMS policy, the sender. */
export const PHONE_CODE_SEND_PROBLEMS: readonly DomainErrorCode[] = ['invalid_phone', 'phone_not_allowed', 'rate_limited', 'otp_delivery_failed'];

/** PhoneLoginService.verifyCode: the number, the code and its wrong-code budgets. */
export const PHONE_CODE_CHECK_PROBLEMS: readonly DomainErrorCode[] = ['invalid_phone', 'invalid_code', 'rate_limited'];

/** A password checked against its wrong-password budgets (email, username, LDAP, RADIUS). */
export const PASSWORD_CHECK_PROBLEMS: readonly DomainErrorCode[] = ['invalid_credentials', 'rate_limited'];

/** An emailed code redeemed with a new password (EmailLoginService); not_found while EMAIL_LOGIN is off. */
export const EMAIL_CODE_PROBLEMS: readonly DomainErrorCode[] = ['not_found', 'weak_password', 'invalid_code', 'rate_limited'];

/** A provider's proof of a login (an ID token, the end of an OIDC or SAML web login), for a provider that may not exist. */
export const PROVIDER_PROOF_PROBLEMS: readonly DomainErrorCode[] = ['not_found', 'invalid_id_token', 'provider_unavailable'];
