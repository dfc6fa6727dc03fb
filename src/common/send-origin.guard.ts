import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { AppConfig } from '../config/app.config';
import { OriginNotAllowedError } from './errors';

const SENDS_CODE = 'sendsCode';

/** Marks a route that sends a code (SMS or email): SendOriginGuard checks its Origin. */
export const SendsCode = (): MethodDecorator & ClassDecorator => SetMetadata(SENDS_CODE, true);

export type SendOriginPolicy = Pick<AppConfig, 'corsOrigins' | 'corsEnforceOnSends'>;

/**
 * Refuses a request that would send a code when a browser says it comes from a page whose origin is
 * not in CORS_ORIGINS. CORS only hides the answer from such a page; a form or text/plain POST needs
 * no preflight and would still be carried out. Apps and servers send no Origin, and pass.
 */
export function assertOriginMaySendCodes(origin: string | undefined, policy: SendOriginPolicy): void {
  if (!policy.corsEnforceOnSends || origin === undefined || policy.corsOrigins === true) return;
  if (!policy.corsOrigins.includes(origin)) throw new OriginNotAllowedError();
}

/** Global guard: applies the origin rule to the routes marked with @SendsCode(). */
@Injectable()
export class SendOriginGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: SendOriginPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const marked = this.reflector.getAllAndOverride<boolean | undefined>(SENDS_CODE, [context.getHandler(), context.getClass()]);
    if (marked) assertOriginMaySendCodes(context.switchToHttp().getRequest<Request>().headers.origin, this.policy);
    return true;
  }
}
