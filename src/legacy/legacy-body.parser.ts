import { text } from 'body-parser';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import JSON5 from 'json5';
import multer from 'multer';
import { parse as parseQueryString } from 'node:querystring';
import { bodyLimitBytes } from '../common/input-guards';

/** Why the body could not be read; the controller answers BADREQUEST with it. */
export type LegacyBodyError = 'too_large' | 'malformed' | 'file';

export interface LegacyRequest extends Request {
  legacyBodyError?: LegacyBodyError;
}

/** More parts than any form of ours has; the field reader refuses more than 100 fields anyway. */
const MAX_FORM_PARTS = 101;

/**
 * Reads the body of a legacy request the way the apps and tools send it: JSON (also when labelled
 * text/plain, as browsers do to skip a preflight), the relaxed object syntax of the mesibo docs'
 * curl example (`{op: "login"}`), urlencoded and multipart form fields. Like the original PHP, which
 * read the raw body whatever its type, a body that is a JSON object is read as one even when it is
 * labelled as a form or not labelled at all (`curl --data` sends it as a form).
 *
 * Every reader is bounded by `limit` (BODY_LIMIT), multipart included; files are refused. It never
 * fails the request: an unreadable body is recorded on it, and the op API answers with its own envelope.
 */
export function legacyBodyParser(limit: string): RequestHandler {
  const maxBytes = bodyLimitBytes(limit);
  const raw = text({ type: () => true, limit });
  const multipart = multer({
    storage: multer.memoryStorage(),
    // No file is ever read: the ops that took photos are answered BADOP.
    limits: { files: 0, fields: MAX_FORM_PARTS, parts: MAX_FORM_PARTS, fieldSize: maxBytes, fieldNameSize: 200 },
  }).any();

  return (req: LegacyRequest, res: Response, next: NextFunction) => {
    let finished = false;
    const done = (error?: LegacyBodyError): void => {
      if (finished) return;
      finished = true;
      if (error) req.legacyBodyError = error;
      if (error === 'too_large') refuseRestOfBody(req, res);
      next();
    };

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return done('too_large');

    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('multipart/form-data')) {
      // multer has no total limit; count the bytes ourselves (also for chunked bodies).
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) done('too_large');
      });
      return multipart(req, res, (error?: unknown) => done(error ? multipartError(error) : undefined));
    }

    raw(req, res, (error?: unknown) => {
      if (error) return done(isTooLarge(error) ? 'too_large' : 'malformed');
      const body: unknown = req.body;
      const content = typeof body === 'string' ? body : '';
      req.body = type.startsWith('application/x-www-form-urlencoded') ? parseForm(content) : parseRelaxedJson(content);
      done(req.body === undefined ? 'malformed' : undefined);
    });
  };
}

/** A form body; or, when it is a JSON object after all (curl's default type), that object. */
export function parseForm(body: string): unknown {
  if (body.trimStart().startsWith('{')) {
    const object = parseRelaxedJson(body);
    if (typeof object === 'object' && object !== null) return object;
  }
  // Decodes like PHP: bad percent escapes stay as they are, repeated names become arrays (refused later).
  return { ...parseQueryString(body, '&', '=', { maxKeys: 0 }) };
}

/** Strict JSON first (the common case), then JSON5 for unquoted keys and single quotes. */
export function parseRelaxedJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    try {
      return JSON5.parse(body);
    } catch {
      return undefined;
    }
  }
}

/** Stop reading a body we will not use, and close the connection after the answer instead of draining it. */
function refuseRestOfBody(req: Request, res: Response): void {
  req.unpipe();
  res.setHeader('Connection', 'close');
}

function multipartError(error: unknown): LegacyBodyError {
  const { code } = error as { code?: string };
  if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE') return 'file';
  if (code === 'LIMIT_FIELD_VALUE' || code === 'LIMIT_PART_COUNT' || code === 'LIMIT_FIELD_COUNT') return 'too_large';
  return 'malformed';
}

function isTooLarge(error: unknown): boolean {
  const { type, status } = error as { type?: string; status?: number };
  return type === 'entity.too.large' || status === 413;
}
