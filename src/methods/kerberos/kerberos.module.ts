import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../../auth/auth.module';
import { KERBEROS_LIBRARY_LOADER, KerberosAcceptor } from './kerberos-acceptor';
import { loadKerberosLibrary } from './kerberos-library';
import { KerberosStrategy } from './kerberos.strategy';

/**
 * Kerberos login (SPNEGO), on when KERBEROS_KEYTAB, KERBEROS_SERVICE_PRINCIPAL and KERBEROS_REALMS
 * are set. The native kerberos package is loaded by the start-up check of those settings and by
 * the first login, never when the method is off.
 */
@Module({
  imports: [AuthModule, PassportModule],
  providers: [KerberosAcceptor, KerberosStrategy, { provide: KERBEROS_LIBRARY_LOADER, useValue: loadKerberosLibrary }],
})
export class KerberosModule {}
