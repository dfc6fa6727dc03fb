import { LoginRequest } from '../../../auth/methods/login-method';

/**
 * The body of a Kerberos login: only `appid` and `device`. The proof travels in the
 * `Authorization: Negotiate <token>` header, as browsers and curl send it.
 */
export class KerberosLoginDto extends LoginRequest {}
