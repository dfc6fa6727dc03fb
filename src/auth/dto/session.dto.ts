import { ApiProperty } from '@nestjs/swagger';
import { ListedSession } from '../sessions.repository';

/** One live session of the user: a device (or browser) logged in to the account. */
export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The name the app sent at login (Android and iOS send their device id)' }) device!: string | null;
  @ApiProperty({ description: 'The app id the mesibo token is for' }) appid!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The login method that opened it (`phone`, `email`, `oidc:<provider>`, …); null for sessions from before it was recorded' })
  loginMethod!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'When the token last opened this API; to the minute' }) lastUsedAt!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty({ description: 'The session of the bearer token of this request' }) current!: boolean;
}

export class SessionsEndedDto {
  @ApiProperty({ description: 'How many sessions ended' }) ended!: number;
}

export function toSession(session: ListedSession, currentSessionId: string): SessionDto {
  return {
    id: session.id,
    device: session.device,
    appid: session.app_id,
    loginMethod: session.login_method,
    createdAt: isoTime(session.created_at),
    lastUsedAt: isoTime(session.last_used_at ?? session.created_at),
    expiresAt: isoTime(session.expires_at),
    current: session.id === currentSessionId,
  };
}

function isoTime(ms: number): string {
  return new Date(Number(ms)).toISOString();
}
