import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CookieOptions, Request, Response } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { otpConfig } from '../config';

/** Cookies with this prefix are only accepted Secure, for Path=/ and without Domain, from our own host. */
const HOST_PREFIX = '__Host-';

/**
 * Binds a web login to the browser that started it (RFC 6749 §10.12, "login CSRF"): starting a
 * login sets a cookie named after its state, and the callback requires it with the right value.
 * Without this, anyone could start a login as themselves and send the callback link to a victim,
 * whose app would then use the attacker's account; and whoever saw someone's callback link
 * (code and state) could finish that login in their own browser.
 *
 * The value is an HMAC of the state under a server key, so no one can make up the cookie of a
 * state they saw, and any instance can check it (the key comes from OTP_SECRET, which every
 * instance shares). Over https the cookie has the `__Host-` prefix, so a sibling subdomain or a
 * plain-http page cannot plant one. It lives as long as the state.
 */
@Injectable()
export class OidcLoginCookies {
  private readonly key: Buffer;

  constructor(@Inject(otpConfig.KEY) otp: Pick<ConfigType<typeof otpConfig>, 'secret'>) {
    // A key of its own, so the cookie never says anything about the keys of stored codes.
    this.key = createHmac('sha256', otp.secret).update('oidc-login-cookie').digest();
  }

  set(res: Response, redirectUri: string, state: string, maxAgeMs: number): void {
    const { name, options } = this.cookieFor(redirectUri, state);
    res.cookie(name, this.valueFor(state), { ...options, maxAge: maxAgeMs });
  }

  /** Whether the request carries this login's cookie with its value; compared in constant time. */
  matches(req: Request, redirectUri: string, state: string): boolean {
    const { name } = this.cookieFor(redirectUri, state);
    const expected = Buffer.from(this.valueFor(state), 'utf8');
    // Every cookie of that name counts: one planted beside the real one must not hide it.
    return cookieValues(req, name).some((value) => {
      const given = Buffer.from(value, 'utf8');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  clear(res: Response, redirectUri: string, state: string): void {
    const { name, options } = this.cookieFor(redirectUri, state);
    res.clearCookie(name, options);
  }

  private valueFor(state: string): string {
    return createHmac('sha256', this.key).update(state, 'utf8').digest('base64url');
  }

  /** The state is base64url, which cookie names allow. */
  private cookieFor(redirectUri: string, state: string): { name: string; options: CookieOptions } {
    const url = new URL(redirectUri);
    // Lax: sent on the provider's top-level redirect back to us, never on cross-site subrequests.
    const common: CookieOptions = { httpOnly: true, sameSite: 'lax' };
    if (url.protocol === 'https:') {
      return { name: `${HOST_PREFIX}oidc_${state}`, options: { ...common, secure: true, path: '/' } };
    }
    // Plain http (development): no prefix is possible; scoped to the callback path instead.
    return { name: `oidc_${state}`, options: { ...common, secure: false, path: url.pathname } };
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
