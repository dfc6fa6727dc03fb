import { Request } from 'express';

/**
 * The pattern of the handler that answered (`/v1/auth/:method/login`), never the path a client
 * chose: metric labels and log lines stay bounded and never carry what a client put in a URL.
 * Middleware for every path is mounted as `{*path}`, and that is the route Express reports when no
 * handler matched: such a request is `unmatched`.
 */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('{*path}')) return 'unmatched';
  return `${req.baseUrl}${path}`;
}
