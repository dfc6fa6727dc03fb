import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { LoginMethodRegistry } from '../../auth/methods/login-method.registry';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { NegotiateRequiredError } from '../../common/errors';
import { KerberosLoginDto } from './dto/kerberos-login.dto';
import { KerberosAcceptor } from './kerberos-acceptor';
import { KerberosLoginRefusedError } from './kerberos-login-refused.error';
import { identityFromPrincipal, KERBEROS_METHOD } from './kerberos-principal';
import { kerberosSettings } from './kerberos.settings';
import { readNegotiateHeader } from './negotiate-header';

export const KERBEROS_STRATEGY = 'kerberos';

/**
 * Proves a login by a Kerberos ticket sent with SPNEGO: `Authorization: Negotiate <token>`.
 * Without one, the answer asks for it (401 with `WWW-Authenticate: Negotiate`); a browser or
 * curl --negotiate then sends the request again with the token.
 */
@Injectable()
export class KerberosStrategy extends PassportStrategy(Strategy, KERBEROS_STRATEGY) {
  private readonly logger = new Logger('KerberosLogin');

  constructor(
    @Inject(kerberosSettings.KEY) private readonly settings: ConfigType<typeof kerberosSettings>,
    private readonly acceptor: KerberosAcceptor,
    registry: LoginMethodRegistry,
  ) {
    super();
    if (!settings.enabled) return;
    registry.register({
      name: KERBEROS_METHOD,
      strategy: KERBEROS_STRATEGY,
      body: KerberosLoginDto,
      summary: 'Log in with a Kerberos ticket (SPNEGO: Authorization: Negotiate) and get a mesibo user access token',
      description:
        'Send `Authorization: Negotiate <base64 token>` (browsers and `curl --negotiate -u :` do so after a 401). Answers 401 ' +
        'negotiate_required with `WWW-Authenticate: Negotiate` without that header, and 401 invalid_credentials for any token ' +
        'or principal not accepted. On success the server token of mutual authentication, if any, is in `WWW-Authenticate`.',
      problems: ['negotiate_required', 'invalid_credentials', 'login_method_unavailable'],
    });
  }

  async validate(req: Request): Promise<VerifiedIdentity> {
    const header = readNegotiateHeader(req.headers.authorization);
    if (header.kind === 'absent') throw new NegotiateRequiredError();
    if (header.kind === 'malformed') {
      this.logger.warn('Kerberos token not accepted: the Negotiate header does not hold a base64 token');
      throw new KerberosLoginRefusedError();
    }
    const accepted = await this.acceptor.accept(header.token);
    const decision = identityFromPrincipal(accepted.principal, this.settings);
    if ('refused' in decision) {
      this.logger.warn(`Kerberos principal ${accepted.principal} may not log in: ${decision.refused}`);
      throw new KerberosLoginRefusedError();
    }
    // Mutual authentication: the client checks that this answer came from the service it meant.
    if (accepted.replyToken) req.res?.setHeader('WWW-Authenticate', `Negotiate ${accepted.replyToken}`);
    return decision.identity;
  }
}
