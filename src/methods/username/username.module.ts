import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../../auth/auth.module';
import { UsernameAccountsRepository } from './username-accounts.repository';
import { UsernameAccountsService } from './username-accounts.service';
import { UsernameController } from './username.controller';
import { UsernameStrategy } from './username.strategy';

/** The `username` login method: accounts by a user id and a password (USERNAME_LOGIN). */
@Module({
  imports: [AuthModule, PassportModule],
  controllers: [UsernameController],
  providers: [UsernameAccountsRepository, UsernameAccountsService, UsernameStrategy],
  exports: [UsernameAccountsService],
})
export class UsernameModule {}
