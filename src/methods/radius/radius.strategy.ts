import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { LoginMethodRegistry } from '../../auth/methods/login-method.registry';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { requestClientKey } from '../../common/client-key';
import { RadiusLoginDto } from './dto/radius-login.dto';
import { RADIUS_METHOD } from './radius-identity';
import { RadiusLoginService } from './radius-login.service';
import { radiusSettings } from './radius.settings';
import { PASSWORD_CHECK_PROBLEMS } from '../../common/api-problems';

/** Proves a login by a RADIUS server's Access-Accept (PAP), with its challenge step when it asks for one. */
@Injectable()
export class RadiusStrategy extends PassportStrategy(Strategy, RADIUS_METHOD) {
  constructor(
    private readonly radiusLogin: RadiusLoginService,
    @Inject(radiusSettings.KEY) settings: ConfigType<typeof radiusSettings>,
    registry: LoginMethodRegistry,
  ) {
    super();
    if (settings.servers.length === 0) return;
    registry.register({
      name: RADIUS_METHOD,
      strategy: RADIUS_METHOD,
      body: RadiusLoginDto,
      summary: 'Log in with a user name and password checked by RADIUS servers, and get a mesibo user access token',
      description:
        'First send `username` and `password`. When the RADIUS server asks for more (a token code), the answer is 401 ' +
        '`challenge_required` with `state` and `challenge` (the prompt): send `username`, that `state` and the `response`. ' +
        'Answers 401 invalid_credentials for a wrong password or answer (never which part was wrong); 429 rate_limited when the ' +
        'user name or client has used its wrong-password budget; 503 login_method_unavailable when no RADIUS server answers.',
      problems: [...PASSWORD_CHECK_PROBLEMS, 'challenge_required', 'login_method_unavailable'],
    });
  }

  validate(req: Request): Promise<VerifiedIdentity> {
    return this.radiusLogin.authenticate(req.body as RadiusLoginDto, requestClientKey(req));
  }
}
