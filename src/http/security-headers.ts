import { INestApplication } from '@nestjs/common';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** Where Swagger UI is served; its page needs a CSP that lets it load its own scripts and styles. */
export const API_DOCS_PATH = '/docs';

/**
 * The API answers JSON (and redirects): nothing in a response may load, run, embed or be embedded.
 * This is the CSP of every response but the Swagger UI page.
 */
const API_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * Swagger UI: its own scripts and stylesheet from this origin, its inline <style> blocks and
 * `style` attributes, data: images (icons), and "Try it out" calls to this origin. No inline script.
 */
const DOCS_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Security headers on every response (helmet): `nosniff`, frames denied, no referrer, a CSP, and
 * HSTS on requests that arrived over HTTPS (directly, or per X-Forwarded-Proto from a proxy
 * trusted by TRUST_PROXY); over plain HTTP it would be ignored and would only mislead.
 * Call before any route or static handler is registered, so every answer carries them.
 */
export function applySecurityHeaders(app: INestApplication): void {
  const common = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  const docsCsp = helmet.contentSecurityPolicy({ useDefaults: false, directives: DOCS_CSP });
  const hsts = helmet.strictTransportSecurity({ maxAge: ONE_YEAR_SECONDS, includeSubDomains: true });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const handlers = [common];
    // Set after the common CSP, so it replaces it on the Swagger UI page and its assets.
    if (isDocsPage(req)) handlers.push(docsCsp);
    if (req.secure) handlers.push(hsts);
    runInOrder(handlers, req, res, next);
  });
}

function isDocsPage(req: Request): boolean {
  return req.path === API_DOCS_PATH || req.path.startsWith(`${API_DOCS_PATH}/`);
}

function runInOrder(handlers: RequestHandler[], req: Request, res: Response, next: NextFunction): void {
  const [first, ...rest] = handlers;
  if (!first) return next();
  void first(req, res, (error?: unknown) => (error ? next(error) : runInOrder(rest, req, res, next)));
}
