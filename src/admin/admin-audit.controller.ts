import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { AuditTrail } from '../audit/audit-trail';
import { ApiProblems } from '../common/api-problems';
import { ADMIN_KEY_PROBLEMS, AdminApi } from './admin-docs';
import { AuditQueryDto } from './dto/admin-queries.dto';
import { AuditEventDto, toAuditEvent } from './dto/admin-responses.dto';

@AdminApi()
@Controller('v1/admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @ApiOperation({ summary: 'Search the audit trail by user, event type and time; newest first' })
  @ApiResponse({ status: 200, type: [AuditEventDto] })
  @ApiProblems(...ADMIN_KEY_PROBLEMS)
  async search(@Query() query: AuditQueryDto): Promise<AuditEventDto[]> {
    const events = await this.audit.list({
      userId: query.userId?.toLowerCase(),
      type: query.type,
      since: query.since === undefined ? undefined : Date.parse(query.since),
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    return events.map(toAuditEvent);
  }
}
