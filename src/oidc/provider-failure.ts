import { Logger } from '@nestjs/common';
import { DomainError, InvalidIdTokenError, ProviderUnavailableError, errorMessage } from '../common/errors';
import { openidClient } from './oidc-libraries';

/** Raised by the provider HTTP calls of this module for an answer outside 2xx. */
export class ProviderHttpError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`${what} answered HTTP ${status}`);
  }
}

/**
 * What a failed call to a provider means for the user: the provider refused the proof
 * (`invalid_id_token`, 401), or it could not be asked (`provider_unavailable`, 503). The cause is
 * logged; messages of openid-client and of our calls never hold a token or a code.
 */
export function providerFailure(logger: Logger, provider: string, step: string, error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  logger.warn(`OIDC ${step} with ${provider} failed: ${errorMessage(error)}${cause ? ` (${errorMessage(cause)})` : ''}`);
  const { errors } = openidClient();
  if (error instanceof errors.OPError) {
    const status = error.response?.statusCode ?? 400;
    return status >= 500 || error.error === 'temporarily_unavailable' || error.error === 'server_error'
      ? new ProviderUnavailableError()
      : new InvalidIdTokenError('The provider did not accept the login.');
  }
  if (error instanceof errors.RPError) {
    return /timed out/.test(error.message) ? new ProviderUnavailableError() : new InvalidIdTokenError('The provider\'s answer could not be verified.');
  }
  if (error instanceof ProviderHttpError && error.status < 500) {
    return new InvalidIdTokenError('The provider did not accept the login.');
  }
  // Network errors, timeouts, 5xx and answers that are not what the protocol says.
  return new ProviderUnavailableError();
}

/** The `error` a provider redirected back with, safe to show: `access_denied` and the like. */
export function providerErrorCode(error: string): string {
  return /^[a-z_]{1,64}$/.test(error) ? error : 'error';
}
