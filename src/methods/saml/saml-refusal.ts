import { Logger } from '@nestjs/common';
import { DomainError, errorMessage, InvalidIdTokenError } from '../../common/errors';

/**
 * Why an answer of the identity provider was refused, for the log only: the user always gets the
 * same `invalid_id_token`, so a forger learns nothing from the answer. A reason never holds the
 * assertion or any value of it.
 */
export class SamlRefusal extends Error {}

/** A value from the answer that a log line may quote: a URN or URL-like token, else a placeholder (no line breaks, no prose). */
export function loggable(value: string | undefined): string {
  if (value === undefined) return 'none';
  return /^[\w:./#-]{1,200}$/.test(value) ? value : '(not shown)';
}

/** The one answer to every refused SAML response. */
export function refusedAnswer(): InvalidIdTokenError {
  return new InvalidIdTokenError("The identity provider's answer was not accepted. Log in again.");
}

/**
 * What a failed check of a SAML response means for the user: a domain error passes (the identity
 * provider's metadata could not be had: `provider_unavailable`); anything else, our refusals and
 * node-saml's, is logged with its reason and becomes the uniform `invalid_id_token`.
 */
export function samlFailure(logger: Logger, error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  // node-saml's messages are fixed texts, with at most the audience or issuer they expected and saw.
  // eslint-disable-next-line no-control-regex
  logger.warn(`SAML response refused: ${errorMessage(error).replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300)}`);
  return refusedAnswer();
}
