/**
 * The failures the mesibo simulator can play, so a test suite sees what the service answers when
 * mesibo misbehaves:
 * - `down`: every call answers HTTP 503 with no mesibo reply (an outage; the service retries, then
 *   gives up: `MESIBOUNAVAILABLE` / 503 `mesibo_unavailable`);
 * - `slow`: every call is handled, then answered after `delayMs` (longer than the service's
 *   `MESIBO_TIMEOUT_MS`, it times out like an outage);
 * - `authfail`: every call is refused the way mesibo refuses a wrong App Token (`AUTHFAIL`; the
 *   service answers `BADAPP` / 502 `mesibo_misconfigured`);
 * - `none`: back to normal.
 */
export const MESIBO_FAULT_MODES = ['none', 'down', 'slow', 'authfail'] as const;
export type MesiboFaultMode = (typeof MESIBO_FAULT_MODES)[number];

export interface MesiboFault {
  mode: MesiboFaultMode;
  /** How long `slow` holds each answer; 0 in the other modes. */
  delayMs: number;
}

/** Longer than the service's default mesibo timeout (5 s), so a `slow` mesibo times out unless told otherwise. */
export const DEFAULT_SLOW_DELAY_MS = 10_000;
export const MAX_DELAY_MS = 120_000;

export const NO_FAULT: MesiboFault = { mode: 'none', delayMs: 0 };

/** The fault `mode` asks for, or a sentence saying what is wrong with the request. */
export function faultFrom(mode: unknown, delayMs?: unknown): MesiboFault | string {
  if (typeof mode !== 'string' || !(MESIBO_FAULT_MODES as readonly string[]).includes(mode)) {
    return `mode must be one of ${MESIBO_FAULT_MODES.join(', ')}`;
  }
  if (delayMs !== undefined && (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS)) {
    return `delayMs must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS}`;
  }
  if (mode !== 'slow') return { mode: mode as MesiboFaultMode, delayMs: 0 };
  return { mode, delayMs: delayMs ?? DEFAULT_SLOW_DELAY_MS };
}

/** mesibo's reply when it does not accept the App Token, field for field. */
export function appTokenRefusal(op: unknown): Record<string, unknown> {
  return { op, result: false, error: 'AUTHFAIL', code: 401, cause: 'Invalid or expired app token', properties: ['token'] };
}
