import { CookieOptions, Request, Response } from 'express';

/**
 * Binds a web login to the browser that started it (RFC 6749 §10.12, "login CSRF"): starting a
 * login sets a cookie named after its state, and the callback requires it. Without this, anyone
 * could start a login as themselves and send the callback link to a victim, whose app would then
 * use the attacker's account. The cookie holds nothing secret: an attacker cannot set it in
 * someone else's browser. It is scoped to the callback path and lives as long as the state.
 */
export function setLoginCookie(res: Response, redirectUri: string, state: string, maxAgeMs: number): void {
  res.cookie(cookieName(state), '1', { ...cookieOptions(redirectUri), maxAge: maxAgeMs });
}

export function hasLoginCookie(req: Request, state: string): boolean {
  const name = cookieName(state);
  return (req.headers.cookie ?? '').split(';').some((pair) => pair.trim().split('=', 1)[0] === name);
}

export function clearLoginCookie(res: Response, redirectUri: string, state: string): void {
  res.clearCookie(cookieName(state), cookieOptions(redirectUri));
}

/** The state is base64url, which cookie names allow. */
function cookieName(state: string): string {
  return `oidc_${state}`;
}

function cookieOptions(redirectUri: string): CookieOptions {
  const url = new URL(redirectUri);
  // Lax: sent on the provider's top-level redirect back to us, never on cross-site subrequests.
  return { path: url.pathname, httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' };
}
