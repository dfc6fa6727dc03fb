import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { Request } from 'express';
import { bearerToken } from '../common/credentials';
import { AdminActor } from './admin-actor';
import { AdminKeysService } from './admin-keys.service';

type AdminRequest = Request & { adminActor?: AdminActor };

/** `Authorization: Bearer <admin key>` of a live admin key; 401 invalid_token otherwise, whatever was wrong. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(private readonly keys: AdminKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AdminRequest>();
    req.adminActor = await this.keys.authenticate(bearerToken(req));
    return true;
  }
}

/** The admin key's actor name of the request (see AdminKeyGuard), for the audit trail. */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): AdminActor => {
  const actor = context.switchToHttp().getRequest<AdminRequest>().adminActor;
  if (actor === undefined) throw new Error('Actor used on a route without AdminKeyGuard');
  return actor;
});
