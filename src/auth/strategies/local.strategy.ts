import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-local';
import { requestClientKey } from '../../common/client-key';
import { EmailLoginService } from '../email/email-login.service';
import { VerifiedIdentity } from '../verified-identity';

export const LOCAL_STRATEGY = 'local';

/** Proves an email login by its password: body fields `email` and `password`. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, LOCAL_STRATEGY) {
  constructor(private readonly emailLogin: EmailLoginService) {
    super({ usernameField: 'email', passwordField: 'password', session: false, passReqToCallback: true });
  }

  validate(req: Request, email: string, password: string): Promise<VerifiedIdentity> {
    return this.emailLogin.authenticate(email, password, requestClientKey(req));
  }
}
