import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsernameModule } from '../methods/username/username.module';
import { AdminAccountsController } from './admin-accounts.controller';
import { AdminAuditController } from './admin-audit.controller';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminKeysService } from './admin-keys.service';
import { AdminUsersController } from './admin-users.controller';
import { SupportTokens } from './support-tokens.service';
import { UserAdministration } from './user-administration.service';
import { UserDirectory } from './user-directory';

/**
 * The admin API (`/v1/admin/…`, authenticated by admin keys) and what the operator commands of
 * src/cli.ts use: keys, finding users, disabling them, support tokens. Account deletion comes from
 * the (global) accounts module.
 */
@Module({
  imports: [AuthModule, UsernameModule],
  controllers: [AdminUsersController, AdminAccountsController, AdminAuditController],
  providers: [AdminKeysService, AdminKeyGuard, UserDirectory, UserAdministration, SupportTokens],
  exports: [AdminKeysService, UserAdministration, SupportTokens],
})
export class AdminModule {}
