import { InvalidRequestError } from '../common/errors';
import { characterProblem, ruleFor, textProblem } from '../common/field-rules';
import { secretsInQuery } from '../common/input-guards';
import { LegacyRequest } from './legacy-body.parser';

/** The request as the op API sees it: the op and flat string fields (as the PHP did, trimmed). */
export interface LegacyCall {
  op: string;
  fields: Record<string, string>;
}

/** More fields than any app sends; a body with more is not a request of ours. */
const MAX_FIELDS = 100;
const MAX_FIELD_NAME_LENGTH = 64;

/**
 * Validates the shape of a legacy request: an object body (query parameters also count, as in
 * the old PHP) with an `op` and scalar fields. Numbers and booleans become strings, since some
 * clients send `dt` as a number. Every field is checked against the shared field rules (length and
 * characters), so nothing malformed reaches a service, mesibo or the database.
 */
export function readLegacyCall(req: LegacyRequest): LegacyCall {
  if (req.legacyBodyError === 'too_large') throw new InvalidRequestError('The request body is too large.');
  if (req.legacyBodyError === 'malformed') throw new InvalidRequestError('The request body is not valid JSON or form data.');
  if (req.legacyBodyError === 'file') throw new InvalidRequestError('Files are not accepted; send form fields or JSON only.');
  const secrets = secretsInQuery('/', req.query ?? {});
  if (secrets.length > 0) {
    throw new InvalidRequestError('Codes, passwords and tokens must be sent in the body, never in the URL.', secrets.map((name) => `${name} must not be in the URL`));
  }

  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const fields: Record<string, string> = {};
  const details: string[] = [];
  const sources = [req.query as Record<string, unknown>, body as Record<string, unknown>];
  if (sources.reduce((count, source) => count + Object.keys(source ?? {}).length, 0) > MAX_FIELDS) {
    throw new InvalidRequestError(`The request has more than ${MAX_FIELDS} fields.`);
  }
  for (const source of sources) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        const text = String(value).trim();
        // The same rules as the REST DTOs, before anything is sent, stored or spent.
        const problem = fieldNameProblem(name) ?? textProblem(text, ruleFor(name));
        if (problem) details.push(`${displayName(name)} ${problem}`);
        else fields[name] = text;
      } else {
        details.push(`${displayName(name)} must be a string`);
      }
    }
  }
  if (details.length > 0) throw new InvalidRequestError('Some fields are not valid.', details);
  const op = (fields.op ?? '').toLowerCase();
  if (op === '') throw new InvalidRequestError('The op field is missing.');
  return { op, fields };
}

function fieldNameProblem(name: string): string | undefined {
  if (name.length > MAX_FIELD_NAME_LENGTH) return `is not a field name (longer than ${MAX_FIELD_NAME_LENGTH} characters)`;
  return characterProblem(name, 'line') === undefined ? undefined : 'is not a field name (bad characters)';
}

/** The field's name for a message: only names that are safe to echo. */
function displayName(name: string): string {
  return fieldNameProblem(name) === undefined ? name : 'a field';
}
