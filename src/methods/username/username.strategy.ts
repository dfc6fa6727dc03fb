import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { LoginMethodRegistry } from '../../auth/methods/login-method.registry';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { requestClientKey } from '../../common/client-key';
import { UsernameLoginDto } from './dto/username.dto';
import { USERNAME_METHOD, UsernameAccountsService } from './username-accounts.service';
import { usernameSettings } from './username.settings';
import { PASSWORD_CHECK_PROBLEMS } from '../../common/api-problems';

/** Proves a username login by its password: body fields `username` and `password`. */
@Injectable()
export class UsernameStrategy extends PassportStrategy(Strategy, USERNAME_METHOD) {
  constructor(
    private readonly accounts: UsernameAccountsService,
    registry: LoginMethodRegistry,
    @Inject(usernameSettings.KEY) settings: ConfigType<typeof usernameSettings>,
  ) {
    super();
    if (!settings.enabled) return;
    registry.register({
      name: USERNAME_METHOD,
      strategy: USERNAME_METHOD,
      body: UsernameLoginDto,
      summary: 'Log in with a username and password and get a mesibo user access token',
      description:
        'Answers 401 invalid_credentials for a wrong username or password (never which); 429 rate_limited when the account or client has used its wrong-password budget (PASSWORD_* settings).',
      problems: PASSWORD_CHECK_PROBLEMS,
    });
  }

  validate(req: Request): Promise<VerifiedIdentity> {
    const { username, password } = req.body as UsernameLoginDto;
    return this.accounts.authenticate(username, password, requestClientKey(req));
  }
}
