/**
 * What a text field may hold, on every surface: the REST DTOs (through `TextField`) and the op API's
 * field reader use these same rules, so a value refused by one is refused by the other, before any
 * code is spent, any mesibo call is made or any database sees it.
 *
 * Lengths are in UTF-16 code units (JavaScript's `length`), which is never less than the number of
 * characters the database columns count.
 */
export type TextKind =
  /** One line of text: no control characters at all (identifiers, codes, addresses, names). */
  | 'line'
  /** Free text (passwords): anything but NUL and lone surrogates. */
  | 'text';

export interface FieldRule {
  maxLength: number;
  kind: TextKind;
}

export const FIELD_RULES = {
  op: { maxLength: 32, kind: 'line' },
  phone: { maxLength: 32, kind: 'line' },
  // The sessions and users columns are varchar(255).
  appid: { maxLength: 255, kind: 'line' },
  device: { maxLength: 255, kind: 'line' },
  name: { maxLength: 255, kind: 'line' },
  otp: { maxLength: 16, kind: 'line' },
  code: { maxLength: 16, kind: 'line' },
  email: { maxLength: 254, kind: 'line' },
  // Checked loosely here (bad input is a 400) and precisely by the password policy.
  password: { maxLength: 1024, kind: 'text' },
  /** A mesibo user access token (op API logout). */
  token: { maxLength: 2048, kind: 'line' },
  /** Device type the apps add to every call. */
  dt: { maxLength: 32, kind: 'line' },
  idToken: { maxLength: 16384, kind: 'line' },
  nonce: { maxLength: 255, kind: 'line' },
  returnTo: { maxLength: 2048, kind: 'line' },
} as const satisfies Record<string, FieldRule>;

export type FieldName = keyof typeof FIELD_RULES;

/** Fields no rule names (op API extras such as `photo`): bounded, and never NUL or a lone surrogate. */
export const OTHER_FIELD_RULE: FieldRule = { maxLength: 1024, kind: 'text' };

export function ruleFor(name: string): FieldRule {
  return Object.hasOwn(FIELD_RULES, name) ? FIELD_RULES[name as FieldName] : OTHER_FIELD_RULE;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls, DEL and C1 controls: finding them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * Why `value` breaks the rule, as a phrase that follows the field name ("must be at most 255
 * characters long"), or undefined when it is fine. Never repeats the value: it may be a secret.
 */
export function textProblem(value: string, rule: FieldRule): string | undefined {
  if (value.length > rule.maxLength) return `must be at most ${rule.maxLength} characters long`;
  return characterProblem(value, rule.kind);
}

export function characterProblem(value: string, kind: TextKind): string | undefined {
  // Databases refuse NUL (PostgreSQL) or cut at it; a lone surrogate cannot be encoded as UTF-8.
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (no lone surrogates)';
  if (kind === 'line' && CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

/** True when a string is safe to store or hand to a library: well-formed Unicode without NUL. */
export function isWellFormedText(value: string): boolean {
  return characterProblem(value, 'text') === undefined;
}
