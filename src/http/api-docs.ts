import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { API_DOCS_PATH } from './security-headers';

/**
 * Swagger UI at /docs and the OpenAPI document at /docs/openapi.json, when API_DOCS is on (by
 * default outside production). Off, both are 404 like any unknown path.
 */
export function setupApiDocs(app: INestApplication, enabled: boolean): void {
  if (!enabled) return;
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('mesibo private backend')
      .setDescription('Log users in by any method, then mint their mesibo user access token.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  const path = API_DOCS_PATH.slice(1);
  SwaggerModule.setup(path, app, document, { jsonDocumentUrl: `${path}/openapi.json` });
}
