import { INestApplication } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** Where Swagger UI is served; its page needs a CSP that lets it load its own scripts and styles. */
export const API_DOCS_PATH = '/docs';

/** Where the demo login page is served (DEMO_PAGE); it needs a CSP that lets it run its own script. */
export const DEMO_PAGE_PATH = '/demo';

/**
 * The API answers JSON (and redirects): nothing in a response may load, run, embed or be embedded.
 * This is the CSP of every response but the Swagger UI and demo pages.
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

/**
 * The demo page: its own script and stylesheet from this origin and calls to this origin's API,
 * nothing inline, no images, fonts, frames or plugins. Its forms are sent by its script, never
 * natively (a native submit would be a GET with the password in the URL).
 */
const DEMO_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Security headers on every response (helmet's): `nosniff`, frames denied, no referrer, a CSP, and
 * HSTS on requests that arrived over HTTPS (directly, or per X-Forwarded-Proto from a proxy
 * trusted by TRUST_PROXY); over plain HTTP it would be ignored and would only mislead. And no
 * caching: replies carry tokens and codes.
 * Call before any route or static handler is registered, so every answer carries them.
 *
 * helmet's middlewares run once, here, against a recording response: per request only the fixed
 * list is set, which costs a fraction of running helmet for every answer.
 */
export function applySecurityHeaders(app: INestApplication): void {
  const common: Header[] = [
    ...headersSetBy(
      helmet({
        contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
        frameguard: { action: 'deny' },
        referrerPolicy: { policy: 'no-referrer' },
        strictTransportSecurity: false,
      }),
    ),
    ['Cache-Control', 'no-store'],
    ['Pragma', 'no-cache'],
  ];
  // Set after the common CSP, so they replace it on the Swagger UI and demo pages and their assets.
  const docsCsp = headersSetBy(helmet.contentSecurityPolicy({ useDefaults: false, directives: DOCS_CSP }));
  const demoCsp = headersSetBy(helmet.contentSecurityPolicy({ useDefaults: false, directives: DEMO_CSP }));
  const hsts = headersSetBy(helmet.strictTransportSecurity({ maxAge: ONE_YEAR_SECONDS, includeSubDomains: true }));

  app.use((req: Request, res: Response, next: NextFunction) => {
    setAll(res, common);
    if (isUnder(req, API_DOCS_PATH)) setAll(res, docsCsp);
    else if (isUnder(req, DEMO_PAGE_PATH)) setAll(res, demoCsp);
    if (req.secure) setAll(res, hsts);
    next();
  });
}

type Header = [name: string, value: string];

function setAll(res: Response, headers: Header[]): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

/** The headers a helmet middleware sets: none of ours depends on the request. */
function headersSetBy(middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void): Header[] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let done = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('a helmet middleware failed');
    done = true;
  });
  if (!done) throw new Error('a helmet middleware did not finish at once');
  return [...headers];
}

/** The page at `path` or anything below it. */
function isUnder(req: Request, path: string): boolean {
  return req.path === path || req.path.startsWith(`${path}/`);
}
