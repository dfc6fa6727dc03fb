import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { DomainError } from '../../common/errors';
import { asDomainError } from '../../common/infrastructure-errors';
import { ClientConfig } from '../../config';
import { CompletedLogin } from '../auth.service';
import { toLoginResponse } from '../dto/login-response.dto';

/**
 * How a web login (a browser sent to a provider and back) ends, whatever the protocol: without a
 * `return_to`, the answer is the JSON of every other login; with one, the browser is sent there
 * with the result in the fragment: `#token=…&expires_at=…&address=…`, or `#error=<code>`.
 */
export function answerWebLogin(res: Response, completed: CompletedLogin, returnTo: string | undefined, client: ClientConfig): void {
  if (returnTo === undefined) {
    res.status(200).json(toLoginResponse(completed, client));
    return;
  }
  res.redirect(
    302,
    withFragment(returnTo, {
      token: completed.token,
      expires_at: completed.expiresAt.toISOString(),
      address: completed.user.address,
    }),
  );
}

/**
 * A refused or failed web login: back to `return_to` with `#error=<code>`; without one, `thrown` is
 * rethrown for the surface's exception filter (a problem+json answer). Unexpected errors are logged.
 */
export function answerWebLoginFailure(res: Response, thrown: unknown, returnTo: string | undefined, logger: Logger): void {
  if (returnTo === undefined) throw thrown;
  const error = asDomainError(thrown);
  if (!(error instanceof DomainError)) {
    logger.error(thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown));
  }
  res.redirect(302, withFragment(returnTo, { error: error instanceof DomainError ? error.code : 'internal_error' }));
}

/** `url#a=1&b=2`: the fragment never reaches a server, nor a Referer header. */
function withFragment(url: string, fields: Record<string, string>): string {
  return `${url}#${new URLSearchParams(fields).toString()}`;
}
