import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AccountController } from './account.controller';
import { AccountDeletion } from './account-deletion.service';
import { AccountRecordsRepository } from './account-records.repository';
import { PendingMesiboDeletions } from './pending-mesibo-deletions';

/**
 * Accounts as a whole: deleting one (by its user, the op API, or an operator). Global, so the op
 * API, the admin surface and the clean-up (which retries deletions at mesibo) reach it without
 * importing it; it uses the auth module's sessions, so the auth module cannot import it back.
 */
@Global()
@Module({
  imports: [AuthModule],
  controllers: [AccountController],
  providers: [AccountDeletion, AccountRecordsRepository, PendingMesiboDeletions],
  exports: [AccountDeletion, PendingMesiboDeletions],
})
export class AccountsModule {}
