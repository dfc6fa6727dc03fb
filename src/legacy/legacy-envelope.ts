import { DomainError, DomainErrorCode } from '../common/errors';

/**
 * The reply every app parses: `op` and `result` ("OK" | "FAIL", strings, never booleans) always,
 * `ts` in integer seconds, then op fields; `error` and `errmsg` on failure.
 */
export type LegacyReply = { op: string; ts: number; result: 'OK' | 'FAIL' } & Record<string, unknown>;

/** Error codes of the op API. The first group is what the apps know; the rest are new. */
const LEGACY_CODES: Record<DomainErrorCode, string> = {
  missing_appid: 'MISSINGAPPID',
  invalid_code: 'BADCODE',
  mesibo_refused: 'BADUSER',
  // Never AUTHFAIL here: the apps sign the user out on AUTHFAIL, and this is the owner's fault.
  mesibo_misconfigured: 'BADAPP',
  invalid_token: 'AUTHFAIL',
  invalid_request: 'BADREQUEST',
  invalid_phone: 'BADPHONE',
  phone_not_allowed: 'PHONENOTALLOWED',
  rate_limited: 'RATELIMITED',
  mesibo_unavailable: 'MESIBOUNAVAILABLE',
  otp_delivery_failed: 'SENDFAILED',
  service_unavailable: 'UNAVAILABLE',
  invalid_credentials: 'BADLOGIN',
  weak_password: 'BADPASSWORD',
  identity_in_use: 'BADREQUEST',
  last_identity: 'BADREQUEST',
  identity_removed: 'IDENTITYREMOVED',
  recent_proof_required: 'REAUTHREQUIRED',
  not_found: 'BADREQUEST',
  provider_unavailable: 'PROVIDERUNAVAILABLE',
  // Never AUTHFAIL: that signs the user out of the apps.
  invalid_id_token: 'BADTOKEN',
  origin_not_allowed: 'BADORIGIN',
  challenge_required: 'CHALLENGE',
  negotiate_required: 'NEGOTIATE',
  login_method_unavailable: 'UNAVAILABLE',
  address_not_allowed: 'ADDRESSNOTALLOWED',
  // Not AUTHFAIL (that signs the user out): an unknown code with errmsg, which the apps show in a dialog.
  account_disabled: 'DISABLED',
  // The hook's message goes in errmsg, which the apps show in a dialog.
  login_refused: 'REFUSED',
  login_hook_unavailable: 'UNAVAILABLE',
};

export function okReply(op: string, nowMs: number, fields: Record<string, unknown> = {}): LegacyReply {
  return { op, ts: seconds(nowMs), ...fields, result: 'OK' };
}

export function failReply(op: string, nowMs: number, error: string, errmsg?: string): LegacyReply {
  return { op, ts: seconds(nowMs), error, ...(errmsg ? { errmsg } : {}), result: 'FAIL' };
}

export function domainFailReply(op: string, nowMs: number, error: DomainError): LegacyReply {
  return { ...error.replyFields, ...failReply(op, nowMs, LEGACY_CODES[error.code], error.message) };
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
