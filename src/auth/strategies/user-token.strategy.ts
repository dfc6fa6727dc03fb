import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { bearerToken } from '../../common/credentials';
import { InvalidTokenError } from '../../common/errors';
import { AuthenticatedSession, SessionsService } from '../sessions.service';

export const USER_TOKEN_STRATEGY = 'user-token';

/** `Authorization: Bearer <mesibo user token>` of a live session. */
@Injectable()
export class UserTokenStrategy extends PassportStrategy(Strategy, USER_TOKEN_STRATEGY) {
  constructor(private readonly sessions: SessionsService) {
    super();
  }

  validate(req: Request): Promise<AuthenticatedSession> {
    const token = bearerToken(req);
    if (!token) throw new InvalidTokenError();
    return this.sessions.authenticate(token);
  }
}
