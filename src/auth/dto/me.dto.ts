import { ApiProperty } from '@nestjs/swagger';
import { AuthenticatedSession } from '../sessions.service';
import { IdentityRow } from '../../database/schema';

export class IdentityDto {
  @ApiProperty() id!: string;
  @ApiProperty() method!: string;
  @ApiProperty() subject!: string;
  @ApiProperty() verified!: boolean;
  @ApiProperty() createdAt!: string;
}

class CurrentSessionDto {
  @ApiProperty() appid!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty() createdAt!: string;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The mesibo address' }) address!: string;
  @ApiProperty({ nullable: true, type: String }) displayName!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ type: [IdentityDto] }) identities!: IdentityDto[];
  @ApiProperty({ type: CurrentSessionDto }) session!: CurrentSessionDto;
}

export function toMe({ user, session }: AuthenticatedSession, identities: IdentityRow[]): MeDto {
  return {
    id: user.id,
    address: user.address,
    displayName: user.display_name,
    createdAt: new Date(Number(user.created_at)).toISOString(),
    identities: identities.map(toIdentity),
    session: {
      appid: session.app_id,
      expiresAt: new Date(Number(session.expires_at)).toISOString(),
      createdAt: new Date(Number(session.created_at)).toISOString(),
    },
  };
}

export function toIdentity(identity: IdentityRow): IdentityDto {
  return {
    id: identity.id,
    method: identity.method,
    subject: identity.subject,
    verified: Boolean(identity.verified),
    createdAt: new Date(Number(identity.created_at)).toISOString(),
  };
}
