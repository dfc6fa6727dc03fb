import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { AccountDeletion } from '../accounts/account-deletion.service';
import { AuditTrail } from '../audit/audit-trail';
import { ApiProblems } from '../common/api-problems';
import { AdminActor } from './admin-actor';
import { ADMIN_KEY_PROBLEMS, AdminApi } from './admin-docs';
import { Actor } from './admin-key.guard';
import { UserSearchQueryDto } from './dto/admin-queries.dto';
import { AdminUserDetailsDto, AdminUserDto, AdminUserPageDto, SessionsEndedDto, toAdminUser, toAdminUserDetails, toAdminUserPage } from './dto/admin-responses.dto';
import { UserAdministration } from './user-administration.service';
import { UserDirectory } from './user-directory';
import { USER_ID_PIPE } from './user-id.pipe';

const DEFAULT_PAGE = 50;

@AdminApi()
@Controller('v1/admin/users')
export class AdminUsersController {
  constructor(
    private readonly directory: UserDirectory,
    private readonly administration: UserAdministration,
    private readonly deletion: AccountDeletion,
    private readonly audit: AuditTrail,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Find users by address, login method and subject, or creation date; newest first, a page at a time' })
  @ApiResponse({ status: 200, type: AdminUserPageDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS)
  async search(@Query() query: UserSearchQueryDto): Promise<AdminUserPageDto> {
    const page = await this.directory.search({
      address: query.address,
      method: query.method,
      subject: query.subject,
      createdAfter: query.createdAfter === undefined ? undefined : Date.parse(query.createdAfter),
      createdBefore: query.createdBefore === undefined ? undefined : Date.parse(query.createdBefore),
      limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit),
      cursor: query.cursor,
    });
    return toAdminUserPage(page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user with their login methods and live sessions' })
  @ApiResponse({ status: 200, type: AdminUserDetailsDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'not_found')
  async get(@Param('id', USER_ID_PIPE) id: string): Promise<AdminUserDetailsDto> {
    return toAdminUserDetails(await this.directory.details(await this.administration.find(id)));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: "Disable a user: every session ends, its tokens are revoked at mesibo, and logins are refused (account_disabled, op API DISABLED) until enabled" })
  @ApiResponse({ status: 200, type: AdminUserDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'not_found')
  async disable(@Param('id', USER_ID_PIPE) id: string, @Actor() actor: AdminActor): Promise<AdminUserDto> {
    return toAdminUser(await this.administration.disable(id, actor));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled user: logins work again (ended sessions stay ended)' })
  @ApiResponse({ status: 200, type: AdminUserDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'not_found')
  async enable(@Param('id', USER_ID_PIPE) id: string, @Actor() actor: AdminActor): Promise<AdminUserDto> {
    return toAdminUser(await this.administration.enable(id, actor));
  }

  @Post(':id/sessions/end')
  @HttpCode(200)
  @ApiOperation({ summary: "End every session of the user and revoke its tokens at mesibo; the user may log in again" })
  @ApiResponse({ status: 200, type: SessionsEndedDto })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'not_found')
  async endSessions(@Param('id', USER_ID_PIPE) id: string, @Actor() actor: AdminActor): Promise<SessionsEndedDto> {
    return { ended: await this.administration.endSessions(id, actor) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the account as its owner can: here at once, at mesibo best effort; its address is free again' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiProblems(...ADMIN_KEY_PROBLEMS, 'not_found')
  async delete(@Param('id', USER_ID_PIPE) id: string, @Actor() actor: AdminActor): Promise<void> {
    await this.deletion.deleteUser(id, 'admin');
    await this.audit.record({ type: 'admin.user-deleted', userId: id, method: actor });
  }
}
