import { ConfigFactory } from '@nestjs/config';
import { KerberosModule } from './methods/kerberos/kerberos.module';
import { kerberosSettings } from './methods/kerberos/kerberos.settings';
import { LdapModule } from './methods/ldap/ldap.module';
import { ldapSettings } from './methods/ldap/ldap.settings';
import { RadiusModule } from './methods/radius/radius.module';
import { radiusSettings } from './methods/radius/radius.settings';
import { SamlModule } from './methods/saml/saml.module';
import { samlSettings } from './methods/saml/saml.settings';
import { TicketModule } from './methods/ticket/ticket.module';
import { ticketSettings } from './methods/ticket/ticket.settings';
import { UsernameModule } from './methods/username/username.module';
import { usernameSettings } from './methods/username/username.settings';

/**
 * The optional login methods this build offers: one line each. A method module registers itself
 * with the LoginMethodRegistry when its settings turn it on; `settings` is validated at start-up
 * with every other namespace. Phone, email and OIDC are built in (AuthModule, OidcModule).
 */
export const LOGIN_METHODS: ReadonlyArray<{ module: new () => unknown; settings: ConfigFactory }> = [
  { module: TicketModule, settings: ticketSettings },
  { module: UsernameModule, settings: usernameSettings },
  { module: RadiusModule, settings: radiusSettings },
  { module: KerberosModule, settings: kerberosSettings },
  { module: LdapModule, settings: ldapSettings },
  { module: SamlModule, settings: samlSettings },
];

export const LOGIN_METHOD_MODULES = LOGIN_METHODS.map((method) => method.module);
export const LOGIN_METHOD_SETTINGS = LOGIN_METHODS.map((method) => method.settings);
