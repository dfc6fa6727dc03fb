import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class StartOidcLoginQueryDto {
  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'The app the mesibo token is for' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  appid!: string;

  @ApiPropertyOptional({
    description:
      'Where to send the browser afterwards, with the result in the fragment (#token=…&expires_at=…&address=…, or #error=…); one of OIDC_RETURN_URLS exactly. Without it, the callback answers with JSON.',
    example: 'https://chat.example.com/login-done',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  return_to?: string;
}

export class LinkOidcDto {
  @ApiProperty({ description: "An ID token the app got from the provider's SDK" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16384)
  idToken!: string;

  @ApiPropertyOptional({
    description: 'The nonce the app put in the token (the claim is this value, or its SHA-256 in hex); required unless the provider has REQUIRE_NONCE=false',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  nonce?: string;
}

export class IdTokenLoginDto extends LinkOidcDto {
  @ApiProperty({ example: 'com.mesibo.firstapp' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  appid!: string;

  @ApiPropertyOptional({ description: 'A device identifier, kept with the session' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  device?: string;
}
