import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { AuditTrail } from '../audit/audit-trail';
import { ApiProblems } from '../common/api-problems';
import { UsernameAccountsService } from '../methods/username/username-accounts.service';
import { AdminActor } from './admin-actor';
import { ADMIN_KEY_PROBLEMS, AdminApi } from './admin-docs';
import { Actor } from './admin-key.guard';
import { CreateUsernameAccountDto } from './dto/admin-bodies.dto';
import { UsernameAccountCreatedDto } from './dto/admin-responses.dto';

@AdminApi()
@Controller('v1/admin/username-accounts')
export class AdminAccountsController {
  constructor(
    private readonly usernameAccounts: UsernameAccountsService,
    private readonly audit: AuditTrail,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a username and password account (the `username` login method); its user is made at its first login' })
  @ApiResponse({ status: 201, type: UsernameAccountCreatedDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'weak_password', 'identity_in_use')
  async create(@Body() body: CreateUsernameAccountDto, @Actor() actor: AdminActor): Promise<UsernameAccountCreatedDto> {
    const username = await this.usernameAccounts.create(body.username, body.password, body.name);
    // The username is an identifier, not a secret, but the trail records no addresses: `outcome` stays empty.
    await this.audit.record({ type: 'admin.username-created', method: actor });
    return { username };
  }
}
