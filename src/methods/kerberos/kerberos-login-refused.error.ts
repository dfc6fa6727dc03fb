import { InvalidCredentialsError } from '../../common/errors';

/**
 * Every refused Kerberos login, whatever the reason (a token that is not a valid ticket for us, a
 * replayed one, a realm or principal not allowed): one answer, `invalid_credentials`. Its 401 asks
 * for Negotiate again, as RFC 4559 servers do, instead of a Bearer token.
 */
export class KerberosLoginRefusedError extends InvalidCredentialsError {
  override readonly wwwAuthenticate = 'Negotiate';

  constructor() {
    super('The Kerberos login was not accepted.');
  }
}
