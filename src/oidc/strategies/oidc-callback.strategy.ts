import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { InvalidIdTokenError, InvalidRequestError } from '../../common/errors';
import { oidcIdentity } from '../oidc-identity';
import { rememberLogin } from '../oidc-login-context';
import { OidcLoginCookies } from '../oidc-login-cookie';
import { OidcLoginStates } from '../oidc-login-states';
import { OidcProviders } from '../oidc-providers';
import { providerErrorCode } from '../provider-failure';
import { ProviderWebFlows } from '../provider-web-flows';

export const OIDC_STRATEGY = 'oidc';

/**
 * The provider's redirect back after a web login (`/v1/auth/oidc/:provider/callback?code&state`):
 * the `state` must be one we issued for this provider and this browser (oidc-login-cookie.ts),
 * unexpired and unused (it is used up here); then the code is exchanged and the answer verified.
 * The login it finishes is remembered for the request (oidc-login-context.ts).
 */
@Injectable()
export class OidcCallbackStrategy extends PassportStrategy(Strategy, OIDC_STRATEGY) {
  constructor(
    private readonly providers: OidcProviders,
    private readonly states: OidcLoginStates,
    private readonly flows: ProviderWebFlows,
    private readonly cookies: OidcLoginCookies,
  ) {
    super();
  }

  async validate(req: Request): Promise<VerifiedIdentity> {
    const provider = this.providers.get(String(req.params.provider));
    const params = callbackParams(req);
    const login = await this.states.take(params.state);
    rememberLogin(req, login);
    this.states.ensureUsable(login, provider.name);
    if (!this.cookies.matches(req, this.providers.redirectUri(provider), login.state)) {
      throw new InvalidRequestError('This login was started in another browser. Start it again in this one.');
    }
    if (params.error !== undefined) {
      throw new InvalidIdTokenError(`The provider did not complete the login (${providerErrorCode(params.error)}).`);
    }
    return oidcIdentity(provider, await this.flows.finish(provider, params, login));
  }
}

/** The query of the callback, as the provider sent it (first value of each name). */
function callbackParams(req: Request): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URL(req.originalUrl, 'http://callback.invalid').searchParams) {
    params[name] ??= value;
  }
  return params;
}
