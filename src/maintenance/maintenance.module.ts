import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { EmailAccountsRepository } from '../auth/email/email-accounts.repository';
import { SessionsRepository } from '../auth/sessions.repository';
import { WebLoginStatesRepository } from '../auth/web-login/web-login-states.repository';
import { OtpRepository } from '../otp/otp.repository';
import { ExpiredRecordsCleanup } from './expired-records-cleanup';

/**
 * Housekeeping on a schedule. The repositories only need the database, so this module has its own
 * instances of them rather than reaching into the modules that serve requests.
 */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [ExpiredRecordsCleanup, OtpRepository, SessionsRepository, WebLoginStatesRepository, EmailAccountsRepository],
})
export class MaintenanceModule {}
