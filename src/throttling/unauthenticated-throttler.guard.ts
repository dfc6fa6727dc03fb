import { ExecutionContext, Injectable } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { Request } from 'express';
import { requestClientKey } from '../common/client-key';
import { RateLimitedError } from '../common/errors';

/**
 * Per-client request budget on the endpoints anybody can call without logging in: the REST
 * `/v1/auth/…` routes and the op API at `/`. Every such route shares one budget per client, so
 * spreading requests over endpoints gains nothing. Logged-in, health and docs routes are not counted.
 */
@Injectable()
export class UnauthenticatedThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(!isUnauthenticatedRoute(context));
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve(requestClientKey(req as unknown as Request));
  }

  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return `throttle:${tracker}`;
  }

  /** The same domain error as every other limit, so each surface answers it its own usual way. */
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const wait = Math.max(1, detail.timeToBlockExpire);
    throw new RateLimitedError(`Too many requests. Try again in ${wait} seconds.`, wait, 'requests');
  }
}

/** Judged by the controller's route prefix, not the URL, which Express matches case-insensitively. */
export function isUnauthenticatedRoute(context: ExecutionContext): boolean {
  const prefix = String(Reflect.getMetadata(PATH_METADATA, context.getClass()) ?? '')
    .replace(/^\/+|\/+$/g, '')
    .toLowerCase();
  return prefix === '' || prefix === 'v1/auth' || prefix.startsWith('v1/auth/');
}
