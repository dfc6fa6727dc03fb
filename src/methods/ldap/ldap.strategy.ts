import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { LoginMethodRegistry } from '../../auth/methods/login-method.registry';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { requestClientKey } from '../../common/client-key';
import { LdapLoginDto } from './dto/ldap-login.dto';
import { LDAP_METHOD } from './ldap-identity';
import { LdapLoginService } from './ldap-login.service';
import { ldapSettings } from './ldap.settings';
import { PASSWORD_CHECK_PROBLEMS } from '../../common/api-problems';

/** Proves a login by a username and password of an LDAP directory or Active Directory. */
@Injectable()
export class LdapStrategy extends PassportStrategy(Strategy, LDAP_METHOD) {
  constructor(
    private readonly ldapLogin: LdapLoginService,
    @Inject(ldapSettings.KEY) settings: ConfigType<typeof ldapSettings>,
    registry: LoginMethodRegistry,
  ) {
    super();
    if (settings.servers.length === 0) return;
    registry.register({
      name: LDAP_METHOD,
      strategy: LDAP_METHOD,
      body: LdapLoginDto,
      summary: 'Log in with a directory (LDAP or Active Directory) username and password, and get a mesibo user access token',
      description:
        'Answers 401 invalid_credentials for a wrong password, an unknown username and a user outside the required group (never which); ' +
        '429 rate_limited when the username or client has used its wrong-password budget; 503 login_method_unavailable when the directory cannot be reached.',
      problems: [...PASSWORD_CHECK_PROBLEMS, 'login_method_unavailable'],
    });
  }

  validate(req: Request): Promise<VerifiedIdentity> {
    const { username, password } = req.body as LdapLoginDto;
    return this.ldapLogin.authenticate(username, password, requestClientKey(req));
  }
}
