import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';
import { AdminAuditEventType } from '../../audit/audit-trail';

const LIMIT_1_TO_100 = /^(100|[1-9]\d?)$/;
const LIMIT_1_TO_1000 = /^(1000|[1-9]\d{0,2})$/;

/** Query strings arrive as strings; the controller reads the numbers and dates from them once valid. */
export class UserSearchQueryDto {
  @ApiPropertyOptional({ description: 'The mesibo address, spelled as a login would take it: `+1 800 555 1234` finds `18005551234`, `Alice@Example.com` finds `alice@example.com`; compared exactly after that' })
  @IsOptional()
  @TextField({ maxLength: 255, kind: 'line' })
  address?: string;

  @ApiPropertyOptional({ description: 'Users with a login of this method (`phone`, `email`, `username`, `oidc:<provider>`, …)' })
  @IsOptional()
  @TextField({ maxLength: 64, kind: 'line' })
  method?: string;

  @ApiPropertyOptional({ description: "A login's subject (with `method`: normalised as that method's logins do)" })
  @IsOptional()
  @TextField({ maxLength: 255, kind: 'line' })
  subject?: string;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdAfter?: string;

  @ApiPropertyOptional({ description: 'Created before (ISO 8601)', example: '2026-12-31T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdBefore?: string;

  @ApiPropertyOptional({ description: 'Users per page, 1 to 100 (default 50)', example: '50' })
  @IsOptional()
  @Matches(LIMIT_1_TO_100, { message: 'limit must be a whole number from 1 to 100' })
  limit?: string;

  @ApiPropertyOptional({ description: "The previous page's nextCursor" })
  @IsOptional()
  @TextField({ maxLength: 128, kind: 'line' })
  cursor?: string;
}

const ADMIN_EVENT_TYPES: AdminAuditEventType[] = [
  'admin.key-created',
  'admin.key-revoked',
  'admin.user-disabled',
  'admin.user-enabled',
  'admin.user-deleted',
  'admin.sessions-ended',
  'admin.username-created',
  'admin.token-issued',
];

export class AuditQueryDto {
  @ApiPropertyOptional({ description: "The user's id" })
  @IsOptional()
  @IsUUID('all')
  userId?: string;

  @ApiPropertyOptional({ description: `An event type: \`login.succeeded\`, \`login.failed\`, \`sessions.ended\`, ${ADMIN_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}, …` })
  @IsOptional()
  @TextField({ maxLength: 64, kind: 'line' })
  type?: string;

  @ApiPropertyOptional({ description: 'Events at or after (ISO 8601)', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Events, newest first, 1 to 1000 (default 100)', example: '100' })
  @IsOptional()
  @Matches(LIMIT_1_TO_1000, { message: 'limit must be a whole number from 1 to 1000' })
  limit?: string;
}
