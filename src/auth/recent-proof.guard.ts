import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { Request } from 'express';
import { InvalidTokenError } from '../common/errors';
import { RecentProofService } from './recent-proof.service';
import { AuthenticatedSession } from './sessions.service';

/** Lets a request through only when its session proved the account recently (see RecentProofService). */
@Injectable()
export class RecentProofGuard implements CanActivate {
  constructor(private readonly recentProof: RecentProofService) {}

  canActivate(context: ExecutionContext): boolean {
    // Runs after the bearer-token guard of the controller, which sets the session.
    const current = context.switchToHttp().getRequest<Request>().user as AuthenticatedSession | undefined;
    if (!current) throw new InvalidTokenError();
    this.recentProof.assertRecent(current.session);
    return true;
  }
}

/** For routes that change how an account logs in; behind the bearer-token guard. */
export const RequireRecentProof = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(RecentProofGuard),
    ApiResponse({ status: 403, description: 'recent_proof_required: prove the account again (POST /v1/me/reauthenticate), then retry' }),
  );
