import { Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import passport from 'passport';
import { InvalidRequestError, errorMessage } from '../common/errors';
import { VerifiedIdentity } from './verified-identity';

/**
 * Runs a named Passport strategy on a request and returns the identity it proved, or rethrows the
 * typed error it raised. Both surfaces prove identities through this, after validating their input,
 * so a request with bad fields never consumes a code.
 */
@Injectable()
export class PassportAuthenticator {
  authenticate(strategy: string, req: Request, res: Response): Promise<VerifiedIdentity> {
    return new Promise((resolve, reject) => {
      const middleware = passport.authenticate(
        strategy,
        { session: false },
        (error: unknown, identity: VerifiedIdentity | false | undefined) => {
          if (error) reject(error instanceof Error ? error : new Error(errorMessage(error)));
          else if (!identity) reject(new InvalidRequestError('The credentials are missing.'));
          else resolve(identity);
        },
      ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      middleware(req, res, (error?: unknown) => reject(error instanceof Error ? error : new Error(errorMessage(error))));
    });
  }
}
