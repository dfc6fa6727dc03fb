import { text, urlencoded } from 'body-parser';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import JSON5 from 'json5';
import multer from 'multer';

/** Why the body could not be read; the controller answers BADREQUEST with it. */
export type LegacyBodyError = 'too_large' | 'malformed';

export interface LegacyRequest extends Request {
  legacyBodyError?: LegacyBodyError;
}

/**
 * Reads the body of a legacy request the way the apps and tools send it: JSON (also when labelled
 * text/plain, as browsers do to skip a preflight), the relaxed object syntax of the mesibo docs'
 * curl example (`{op: "login"}`), urlencoded and multipart form fields. It never fails the request:
 * an unreadable body is recorded on it, and the op API answers with its own envelope.
 */
export function legacyBodyParser(limit: string): RequestHandler {
  const form = urlencoded({ extended: false, limit, parameterLimit: 100 });
  // Old apps attach a photo to some ops; those ops are answered BADOP, so files are read and dropped.
  const multipart = multer({ storage: multer.memoryStorage(), limits: { fileSize: 1024 * 1024, files: 1, fields: 100 } }).any();
  const raw = text({ type: () => true, limit });

  return (req: LegacyRequest, res: Response, next: NextFunction) => {
    const done = (error?: unknown): void => {
      if (error) req.legacyBodyError = isTooLarge(error) ? 'too_large' : 'malformed';
      next();
    };
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/x-www-form-urlencoded')) return form(req, res, done);
    if (type.startsWith('multipart/form-data')) return multipart(req, res, done);
    raw(req, res, (error?: unknown) => {
      if (error) return done(error);
      const body: unknown = req.body;
      req.body = typeof body === 'string' ? parseRelaxedJson(body) : {};
      if (req.body === undefined) req.legacyBodyError = 'malformed';
      next();
    });
  };
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

function isTooLarge(error: unknown): boolean {
  const { type, code } = error as { type?: string; code?: string };
  return type === 'entity.too.large' || code === 'LIMIT_FILE_SIZE' || code === 'LIMIT_FIELD_VALUE';
}
