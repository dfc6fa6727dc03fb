import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DomainErrorCode } from '../common/errors';
import { AdminKeyGuard } from './admin-key.guard';

/** The OpenAPI security scheme of admin keys (declared in src/http/api-docs.ts). */
export const ADMIN_KEY_SCHEME = 'admin-key';

/** An admin API controller: the admin key guard, its tag and its security scheme in the document. */
export const AdminApi = (): ClassDecorator => applyDecorators(ApiTags('admin'), ApiBearerAuth(ADMIN_KEY_SCHEME), UseGuards(AdminKeyGuard));

/** What every admin route answers for a missing, unknown or revoked key (the document adds it by itself only for the user token's scheme). */
export const ADMIN_KEY_PROBLEMS: readonly DomainErrorCode[] = ['invalid_token'];
