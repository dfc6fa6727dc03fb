import { Request } from 'express';
import { OidcLoginState } from './oidc-login-states';

const logins = new WeakMap<Request, OidcLoginState>();

/**
 * The web login a callback request finishes, as the callback strategy took it: the controller
 * needs its app id and return URL, also when the strategy refused the login. Kept beside the
 * request rather than on it.
 */
export function rememberLogin(req: Request, login: OidcLoginState): void {
  logins.set(req, login);
}

export function loginOf(req: Request): OidcLoginState | undefined {
  return logins.get(req);
}
