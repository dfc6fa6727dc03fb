import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../../auth/auth.module';
import { TicketStrategy } from './ticket.strategy';

/** The `ticket` login method, the worked example of docs/adding-a-login-method.md. */
@Module({
  imports: [AuthModule, PassportModule],
  providers: [TicketStrategy],
})
export class TicketModule {}
