import { CookieOptions, Request, Response } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Cookies with this prefix are only accepted Secure, for Path=/ and without Domain, from our own host. */
const HOST_PREFIX = '__Host-';

export interface BrowserBindingOptions {
  /** Names the cookies (`<name>_<state>`) and their key: `oidc`, `saml`. */
  name: string;
  /**
   * How the browser comes back from the provider: a top-level GET redirect (OAuth2, OpenID Connect),
   * which SameSite=Lax cookies follow; or a cross-site form POST (SAML's HTTP-POST binding), which only
   * SameSite=None cookies follow, and browsers take those over https only.
   */
  returnsBy: 'redirect' | 'form-post';
}

/**
 * Binds a web login to the browser that started it (RFC 6749 §10.12, "login CSRF"): starting a
 * login sets a cookie named after its state, and the provider's return requires it with the right
 * value. Without this, anyone could start a login as themselves and send the provider's answer to a
 * victim, whose app would then use the attacker's account; and whoever saw someone's answer could
 * finish that login in their own browser.
 *
 * The value is an HMAC of the state under a server key, so no one can make up the cookie of a
 * state they saw, and any instance can check it (the key is derived from a secret every instance
 * shares). Over https the cookie has the `__Host-` prefix, so a sibling subdomain or a plain-http
 * page cannot plant one. It lives as long as the state.
 */
export class BrowserBindingCookies {
  private readonly key: Buffer;

  constructor(
    secret: string | Buffer,
    private readonly options: BrowserBindingOptions,
  ) {
    // A key of its own, so the cookie never says anything about the other uses of the secret.
    this.key = createHmac('sha256', secret).update(`${options.name}-login-cookie`).digest();
  }

  set(res: Response, returnUrl: string, state: string, maxAgeMs: number): void {
    const { name, options } = this.cookieFor(returnUrl, state);
    res.cookie(name, this.valueFor(state), { ...options, maxAge: maxAgeMs });
  }

  /** Whether the request carries this login's cookie with its value; compared in constant time. */
  matches(req: Request, returnUrl: string, state: string): boolean {
    const { name } = this.cookieFor(returnUrl, state);
    const expected = Buffer.from(this.valueFor(state), 'utf8');
    // Every cookie of that name counts: one planted beside the real one must not hide it.
    return cookieValues(req, name).some((value) => {
      const given = Buffer.from(value, 'utf8');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  clear(res: Response, returnUrl: string, state: string): void {
    const { name, options } = this.cookieFor(returnUrl, state);
    res.clearCookie(name, options);
  }

  private valueFor(state: string): string {
    return createHmac('sha256', this.key).update(state, 'utf8').digest('base64url');
  }

  /** The state is base64url (with a leading `_` for SAML), which cookie names allow. */
  private cookieFor(returnUrl: string, state: string): { name: string; options: CookieOptions } {
    const url = new URL(returnUrl);
    const cookieName = `${this.options.name}_${state}`;
    const common: CookieOptions = { httpOnly: true };
    if (url.protocol === 'https:') {
      // Lax: sent on the provider's top-level redirect back to us, never on cross-site subrequests.
      // None: also on the provider's form POST; the value is only good for this one login.
      const sameSite = this.options.returnsBy === 'redirect' ? 'lax' : 'none';
      return { name: `${HOST_PREFIX}${cookieName}`, options: { ...common, sameSite, secure: true, path: '/' } };
    }
    // Plain http (development): no prefix is possible; scoped to the return path instead. Browsers
    // refuse SameSite=None without Secure, so a form-post login gets no SameSite attribute (Chrome
    // then sends it on a cross-site POST only within two minutes of setting it).
    const sameSite = this.options.returnsBy === 'redirect' ? ('lax' as const) : undefined;
    return { name: cookieName, options: { ...common, ...(sameSite ? { sameSite } : {}), secure: false, path: url.pathname } };
  }
}

/** The values of every cookie called `name` in the request, as sent. */
function cookieValues(req: Request, name: string): string[] {
  const values: string[] = [];
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) values.push(pair.slice(separator + 1).trim());
  }
  return values;
}
