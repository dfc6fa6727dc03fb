import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { ApiProblems } from '../common/api-problems';
import { InvalidRequestError } from '../common/errors';
import { SessionDto, SessionsEndedDto, toSession } from './dto/session.dto';
import { AuthenticatedSession, SessionsService } from './sessions.service';
import { USER_TOKEN_STRATEGY } from './strategies/user-token.strategy';

/** A malformed id is bad input like any other: 400 invalid_request. */
const ID_PIPE = new ParseUUIDPipe({ exceptionFactory: () => new InvalidRequestError('The session id is not valid.', ['id must be a UUID']) });

/**
 * The user's devices: every live session of the account, and ending them. Ending one here ends it
 * at once on every instance and revokes its mesibo token, like a logout on that device.
 */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/sessions')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "The user's live sessions (devices), the most recently used first; `current` marks this one" })
  @ApiResponse({ status: 200, type: [SessionDto] })
  async list(@Req() req: Request): Promise<SessionDto[]> {
    const { user, session } = current(req);
    return (await this.sessions.listLive(user.id)).map((listed) => toSession(listed, session.id));
  }

  // A POST, not `DELETE /v1/me/sessions`: a DELETE of the collection would read as ending all of them, this one too (that is POST /v1/me/logout-all).
  @Post('logout-others')
  @HttpCode(200)
  @ApiOperation({ summary: "End every session of the user but this one, and revoke their tokens at mesibo" })
  @ApiResponse({ status: 200, type: SessionsEndedDto })
  async logoutOthers(@Req() req: Request): Promise<SessionsEndedDto> {
    const { user, session } = current(req);
    return { ended: await this.sessions.endAllForUser(user.id, 'logout-others', session.id) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session of the user (this one too, like a logout) and revoke its token at mesibo' })
  @ApiResponse({ status: 204, description: 'Ended' })
  @ApiResponse({ status: 404, description: 'not_found: no live session of this user has this id' })
  @ApiProblems('not_found')
  async end(@Param('id', ID_PIPE) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.endOne(current(req).user.id, id);
  }
}

function current(req: Request): AuthenticatedSession {
  return req.user as AuthenticatedSession;
}
