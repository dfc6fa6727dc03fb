import { characterProblem } from './field-rules';

/**
 * Checks of a whole request, made at the edge before any route sees it: how deep a parsed body
 * nests, whether any string in it (values and keys) is malformed, and whether the URL carries a
 * secret. Pure functions; app.setup.ts and the op API turn their findings into answers.
 */

/** Our bodies are flat objects; this leaves room for any sane client and stops recursion bombs. */
export const MAX_BODY_DEPTH = 16;

/** Field names whose values are secrets: never accepted in a URL, since URLs end up in access logs. */
const SECRET_FIELDS = new Set([
  'otp',
  'code',
  'password',
  'currentpassword',
  'newpassword',
  'token',
  'idtoken',
  'id_token',
  'access_token',
  'refresh_token',
]);

/** An OAuth2 provider sends its one-time `code` to our callback in the query string; nothing else may. */
const PROVIDER_CALLBACK = /^\/v1\/auth\/oidc\/[^/]+\/callback\/?$/;

/** The names of the secret-bearing query parameters of a request (empty when there are none). */
export function secretsInQuery(path: string, query: Record<string, unknown>): string[] {
  const allowCode = PROVIDER_CALLBACK.test(path);
  return Object.keys(query).filter((name) => {
    const key = name.toLowerCase();
    return SECRET_FIELDS.has(key) && !(allowCode && key === 'code');
  });
}

export type InputProblem = { kind: 'too_deep' } | { kind: 'malformed_text'; field: string; reason: string };

/**
 * The first problem of a parsed body or query: nesting deeper than `maxDepth`, or a string (value or
 * key) with NUL or lone surrogates. Iterative, so the value itself cannot exhaust the stack.
 */
export function inspectInput(value: unknown, maxDepth = MAX_BODY_DEPTH): InputProblem | undefined {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: '' }];
  while (pending.length > 0) {
    const { value: current, depth, path } = pending.pop()!;
    if (typeof current === 'string') {
      const reason = characterProblem(current, 'text');
      if (reason) return { kind: 'malformed_text', field: path || 'the body', reason };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return { kind: 'too_deep' };
    for (const [key, child] of Object.entries(current)) {
      const reason = characterProblem(key, 'text');
      if (reason) return { kind: 'malformed_text', field: 'a field name', reason };
      pending.push({ value: child, depth: depth + 1, path: path ? `${path}.${shortName(key)}` : shortName(key) });
    }
  }
  return undefined;
}

/** Field paths go into error messages; keep an attacker's 100 kB key out of them. */
function shortName(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** Bytes of a BODY_LIMIT value such as `100kb` or `1mb` (validated by the app config). */
export function bodyLimitBytes(limit: string): number {
  const match = /^(\d+)(b|kb|mb)?$/i.exec(limit.trim());
  if (!match) throw new Error(`Not a body limit: ${limit}`);
  const unit = (match[2] ?? 'b').toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}
