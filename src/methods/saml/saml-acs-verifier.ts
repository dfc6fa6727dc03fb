import { Injectable, Logger } from '@nestjs/common';
import { Request } from 'express';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { InvalidRequestError } from '../../common/errors';
import { validateInput } from '../../common/validation';
import { SamlAcsFormDto } from './dto/saml.dto';
import { SamlAssertionUses } from './saml-assertion-uses';
import { SamlIdentityProvider } from './saml-identity-provider';
import { samlIdentity } from './saml-identity';
import { rememberLogin } from './saml-login-context';
import { SamlLoginCookies } from './saml-login-cookies';
import { SamlLoginRequests } from './saml-login-requests';
import { samlFailure } from './saml-refusal';
import { AcceptedAssertion } from './saml-response-checks';
import { SamlServiceProvider } from './saml-service-provider';

/**
 * The identity provider's answer at our ACS (`POST /v1/auth/saml/acs`, a form with SAMLResponse and
 * RelayState): the RelayState must name a login we started, in this browser (the cookie), unexpired
 * and unanswered (it is used up here); then the response must verify and pass every check, and its
 * assertion must not have been used before. The login it finishes is remembered for the request.
 * Whatever is wrong with the response itself, the answer is the same `invalid_id_token`.
 *
 * It does the job of a login strategy (it proves an identity and never talks to mesibo), but the
 * controller calls it directly instead of through Passport: Passport keeps strategies in one
 * registry per process, where the last instance of the service built in a process would answer
 * for all of them (the tests run several instances in one process).
 */
@Injectable()
export class SamlAcsVerifier {
  private readonly logger = new Logger(SamlAcsVerifier.name);

  constructor(
    private readonly idp: SamlIdentityProvider,
    private readonly requests: SamlLoginRequests,
    private readonly cookies: SamlLoginCookies,
    private readonly serviceProvider: SamlServiceProvider,
    private readonly uses: SamlAssertionUses,
  ) {}

  async prove(req: Request): Promise<VerifiedIdentity> {
    const settings = this.idp.settingsOn();
    const form = await validateInput(SamlAcsFormDto, req.body, 'strip');
    const login = await this.requests.take(form.RelayState);
    rememberLogin(req, login);
    this.requests.ensureUsable(login);
    if (!this.cookies.matches(req, settings.acsUrl, login.requestId)) {
      throw new InvalidRequestError('This login was started in another browser. Start it again in this one.');
    }
    let assertion: AcceptedAssertion;
    let identity: VerifiedIdentity;
    try {
      assertion = await this.serviceProvider.accept(form.SAMLResponse, login.requestId);
      identity = samlIdentity(settings, assertion);
    } catch (error) {
      throw samlFailure(this.logger, error);
    }
    // Last, so only an answer that logs in uses the assertion up; a store that is down is not a refusal.
    await this.uses.claim(assertion);
    return identity;
  }
}
