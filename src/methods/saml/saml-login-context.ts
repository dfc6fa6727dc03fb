import { Request } from 'express';
import { SamlLoginRequest } from './saml-login-requests';

const logins = new WeakMap<Request, SamlLoginRequest>();

/**
 * The login an ACS request finishes, as the ACS verifier took it: the controller needs its app id and
 * return URL, also when the answer was refused. Kept beside the request rather than on it.
 */
export function rememberLogin(req: Request, login: SamlLoginRequest): void {
  logins.set(req, login);
}

export function loginOf(req: Request): SamlLoginRequest | undefined {
  return logins.get(req);
}
