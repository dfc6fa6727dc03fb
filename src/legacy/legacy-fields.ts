import { InvalidRequestError } from '../common/errors';
import { LegacyRequest } from './legacy-body.parser';

/** The request as the op API sees it: the op and flat string fields (as the PHP did, trimmed). */
export interface LegacyCall {
  op: string;
  fields: Record<string, string>;
}

/**
 * Validates the shape of a legacy request: an object body (query parameters also count, as in
 * the old PHP) with an `op` and scalar fields. Numbers and booleans become strings, since some
 * clients send `dt` as a number.
 */
export function readLegacyCall(req: LegacyRequest): LegacyCall {
  if (req.legacyBodyError === 'too_large') throw new InvalidRequestError('The request body is too large.');
  if (req.legacyBodyError === 'malformed') throw new InvalidRequestError('The request body is not valid JSON or form data.');

  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const fields: Record<string, string> = {};
  const details: string[] = [];
  for (const source of [req.query as Record<string, unknown>, body as Record<string, unknown>]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        fields[name] = String(value).trim();
      } else {
        details.push(`${name} must be a string`);
      }
    }
  }
  if (details.length > 0) throw new InvalidRequestError('Some fields have the wrong type.', details);
  const op = (fields.op ?? '').toLowerCase();
  if (op === '') throw new InvalidRequestError('The op field is missing.');
  return { op, fields };
}
