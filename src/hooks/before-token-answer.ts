import { normalizeEmail } from '../auth/email/email-address';
import { characterProblem } from '../common/field-rules';

/** What the before-token hook decided, once its answer was read and checked. */
export type BeforeTokenDecision = { allow: false; message?: string } | { allow: true; address?: string; name?: string };

/** The longest refusal message the apps are shown, and the longest address and name (the columns' size). */
const MAX_MESSAGE = 500;
const MAX_FIELD = 255;

/**
 * Reads the hook's answer: `{"allow": false, "message"?}` or `{"allow": true, "address"?, "name"?}`.
 * Returns undefined for anything else (not JSON, no boolean `allow`, a field of the wrong type or
 * out of bounds, an address that is not one), which counts as a hook failure.
 *
 * An address is held to the rules of the logins: one line of at most 255 characters; an email is
 * normalized as email logins do it (so the two meet), and a phone number is digits only, as phone
 * logins store it (a leading `+` is dropped).
 */
export function parseBeforeTokenAnswer(body: string): BeforeTokenDecision | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return undefined;
  const { allow, message, address, name } = answer as Record<string, unknown>;
  if (allow === false) {
    if (message === undefined || message === null) return { allow: false };
    const text = typeof message === 'string' ? line(message, MAX_MESSAGE) : undefined;
    return text === undefined ? undefined : { allow: false, message: text };
  }
  if (allow !== true) return undefined;
  const decision: BeforeTokenDecision = { allow: true };
  if (address !== undefined && address !== null) {
    const normalized = typeof address === 'string' ? asAddress(address) : undefined;
    if (normalized === undefined) return undefined;
    decision.address = normalized;
  }
  if (name !== undefined && name !== null) {
    const text = typeof name === 'string' ? line(name, MAX_FIELD) : undefined;
    if (text === undefined) return undefined;
    decision.name = text;
  }
  return decision;
}

/** One trimmed, non-empty line of at most `max` characters, or undefined. */
function line(value: string, max: number): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > max || characterProblem(trimmed, 'line') !== undefined) return undefined;
  return trimmed;
}

function asAddress(value: string): string | undefined {
  const text = line(value, MAX_FIELD);
  if (text === undefined) return undefined;
  if (text.includes('@')) {
    try {
      return normalizeEmail(text);
    } catch {
      return undefined;
    }
  }
  if (/^\+\d+$/.test(text)) return text.slice(1);
  return text;
}
