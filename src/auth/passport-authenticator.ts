import { Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import passport from 'passport';
import { InvalidRequestError, errorMessage } from '../common/errors';
import { VerifiedIdentity } from './verified-identity';
import { requestClientKey } from '../common/client-key';
import { LoginEvents, LoginRequester } from './login-events';

/**
 * Runs a named Passport strategy on a request and returns the identity it proved, or rethrows the
 * typed error it raised. Both surfaces prove identities through this, after validating their input,
 * so a request with bad fields never consumes a code.
 */
@Injectable()
export class PassportAuthenticator {
  constructor(private readonly events: LoginEvents) {}

  /**
   * `loginMethod` names the login this proof is for (`phone`, `email`, `ldap`, …): a refusal is then
   * counted as a failed login of that method. Proofs for other purposes (linking) leave it out.
   */
  async authenticate(strategy: string, req: Request, res: Response, loginMethod?: string): Promise<VerifiedIdentity> {
    try {
      return await this.run(strategy, req, res);
    } catch (error) {
      if (loginMethod) await this.events.failed(loginMethod, error, requesterOf(req));
      throw error;
    }
  }

  private run(strategy: string, req: Request, res: Response): Promise<VerifiedIdentity> {
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

/** The client, and the app and device its body named, as far as they are strings. */
function requesterOf(req: Request): LoginRequester {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { client: requestClientKey(req), appid: text(body.appid), device: text(body.device) };
}
