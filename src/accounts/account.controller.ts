import { Controller, Delete, HttpCode, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { RequireRecentProof } from '../auth/recent-proof.guard';
import { AuthenticatedSession } from '../auth/sessions.service';
import { USER_TOKEN_STRATEGY } from '../auth/strategies/user-token.strategy';
import { ApiProblems } from '../common/api-problems';
import { InvalidTokenError, NotFoundError } from '../common/errors';
import { AccountDeletion } from './account-deletion.service';

/** `DELETE /v1/me`: in-app account deletion, which the app stores require. */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class AccountController {
  constructor(private readonly deletion: AccountDeletion) {}

  @Delete()
  @RequireRecentProof()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete the account of the bearer token for good',
    description:
      'Needs a recent proof of the account (a fresh login, or POST /v1/me/reauthenticate). Every session ends and its token is revoked at mesibo; the user, their login methods, passwords and pending codes are deleted; the mesibo user is deleted (MESIBO_USER_DELETE_OP; retried later when mesibo cannot be reached). The address is free again: a later login with it makes a new user.',
  })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiProblems()
  async deleteAccount(@Req() req: Request): Promise<void> {
    const { user } = req.user as AuthenticatedSession;
    try {
      await this.deletion.deleteUser(user.id, 'self');
    } catch (error) {
      // Another request deleted it first: this token's account is gone, as after any deletion.
      if (error instanceof NotFoundError) throw new InvalidTokenError();
      throw error;
    }
  }
}
