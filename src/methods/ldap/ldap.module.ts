import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../../auth/auth.module';
import { LdapDirectory } from './ldap-directory';
import { LdapLoginService } from './ldap-login.service';
import { LdapStrategy } from './ldap.strategy';

/** The `ldap` login method: LDAP directories and Active Directory (docs/methods/ldap.md). */
@Module({
  imports: [AuthModule, PassportModule],
  providers: [LdapDirectory, LdapLoginService, LdapStrategy],
})
export class LdapModule {}
