import { ApiProperty } from '@nestjs/swagger';
import { ClientConfig } from '../../config';
import { CompletedLogin } from '../auth.service';

export class LoginResponseDto {
  @ApiProperty({ description: 'mesibo user access token: start mesibo with it' })
  token!: string;

  @ApiProperty({ description: 'The mesibo address of the user (for phone logins, the normalized number)' })
  address!: string;

  @ApiProperty({ description: 'The normalized phone number, for phone logins', required: false })
  phone?: string;

  @ApiProperty({ description: 'ISO 8601 expiry of the token' })
  expiresAt!: string;

  @ApiProperty()
  userId!: string;

  @ApiProperty()
  newUser!: boolean;

  @ApiProperty({ example: { upload: 'https://…', download: 'https://…' } })
  urls!: ClientConfig['urls'];

  @ApiProperty({ example: { text: '…', subject: '…', title: '…' } })
  share!: ClientConfig['share'];

  @ApiProperty()
  invite!: string;
}

export function toLoginResponse(login: CompletedLogin, client: ClientConfig): LoginResponseDto {
  return {
    token: login.token,
    address: login.user.address,
    ...(login.identity.method === 'phone' ? { phone: login.identity.subject } : {}),
    expiresAt: login.expiresAt.toISOString(),
    userId: login.user.id,
    newUser: login.newUser,
    urls: client.urls,
    share: client.share,
    invite: client.invite,
  };
}
