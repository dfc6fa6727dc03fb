import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { emailConfig } from '../../config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-local';
import { requestClientKey } from '../../common/client-key';
import { EmailLoginService } from '../email/email-login.service';
import { VerifiedIdentity } from '../verified-identity';
import { EmailLoginDto } from '../email/dto/email-dtos';
import { LoginMethodRegistry } from '../methods/login-method.registry';
import { PASSWORD_CHECK_PROBLEMS } from '../../common/api-problems';

export const LOCAL_STRATEGY = 'local';

/** Proves an email login by its password: body fields `email` and `password`. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, LOCAL_STRATEGY) {
  constructor(
    private readonly emailLogin: EmailLoginService,
    registry: LoginMethodRegistry,
    @Inject(emailConfig.KEY) email: ConfigType<typeof emailConfig>,
  ) {
    super({ usernameField: 'email', passwordField: 'password', session: false, passReqToCallback: true });
    if (!email.loginEnabled) return;
    registry.register({
      name: 'email',
      strategy: LOCAL_STRATEGY,
      body: EmailLoginDto,
      summary: 'Log in with email and password and get a mesibo user access token',
      description:
        'Answers 401 invalid_credentials for a wrong email or password and for an address not confirmed yet (never which); 429 rate_limited when the address or client has used its wrong-password budget.',
      problems: PASSWORD_CHECK_PROBLEMS,
    });
  }

  validate(req: Request, email: string, password: string): Promise<VerifiedIdentity> {
    return this.emailLogin.authenticate(email, password, requestClientKey(req));
  }
}
