import { ApiProperty } from '@nestjs/swagger';
import { IdentityDto, toIdentity } from '../../auth/dto/me.dto';
import { AuditEventRow, UserRow } from '../../database/schema';
import { AdminSessionView, UserDetails, UserPage } from '../user-directory';

export class AdminUserDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The mesibo address' }) address!: string;
  @ApiProperty({ nullable: true, type: String }) displayName!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'When an operator disabled the user; null while enabled' }) disabledAt!: string | null;
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto], description: 'Newest first' }) users!: AdminUserDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}

export class AdminSessionDto {
  @ApiProperty() id!: string;
  @ApiProperty() appid!: string;
  @ApiProperty({ nullable: true, type: String }) device!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The login method that opened it (`admin` for a support token)' }) loginMethod!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() expiresAt!: string;
}

export class AdminUserDetailsDto extends AdminUserDto {
  @ApiProperty({ type: [IdentityDto] }) identities!: IdentityDto[];
  @ApiProperty({ type: [AdminSessionDto], description: 'Live sessions, newest first' }) sessions!: AdminSessionDto[];
}

export class SessionsEndedDto {
  @ApiProperty({ description: 'How many sessions ended' }) ended!: number;
}

export class UsernameAccountCreatedDto {
  @ApiProperty({ description: 'As stored (lowercased)', example: 'ada' }) username!: string;
}

export class AuditEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() occurredAt!: string;
  @ApiProperty({ example: 'login.failed' }) type!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The login method or code channel; for admin.* events who acted (`admin-key:<name>`, `cli`)' }) method!: string | null;
  @ApiProperty({ nullable: true, type: String }) outcome!: string | null;
  @ApiProperty({ nullable: true, type: String }) userId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The client's address key" }) client!: string | null;
  @ApiProperty({ nullable: true, type: String }) appId!: string | null;
  @ApiProperty({ nullable: true, type: String }) device!: string | null;
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

export function toAdminUser(user: UserRow): AdminUserDto {
  return {
    id: user.id,
    address: user.address,
    displayName: user.display_name,
    createdAt: iso(user.created_at),
    disabledAt: user.disabled_at === null ? null : iso(user.disabled_at),
  };
}

export function toAdminUserPage(page: UserPage): AdminUserPageDto {
  return { users: page.users.map(toAdminUser), nextCursor: page.nextCursor };
}

function toAdminSession(session: AdminSessionView): AdminSessionDto {
  return {
    id: session.id,
    appid: session.app_id,
    device: session.device,
    loginMethod: session.login_method,
    createdAt: iso(session.created_at),
    expiresAt: iso(session.expires_at),
  };
}

export function toAdminUserDetails(details: UserDetails): AdminUserDetailsDto {
  return { ...toAdminUser(details.user), identities: details.identities.map(toIdentity), sessions: details.sessions.map(toAdminSession) };
}

export function toAuditEvent(event: AuditEventRow): AuditEventDto {
  return {
    id: event.id,
    occurredAt: iso(event.occurred_at),
    type: event.type,
    method: event.method,
    outcome: event.outcome,
    userId: event.user_id,
    client: event.client,
    appId: event.app_id,
    device: event.device,
  };
}
