import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { LoginResponseDto } from '../auth/dto/login-response.dto';
import { LoginMethodDefinition } from '../auth/methods/login-method';
import { LoginMethodRegistry } from '../auth/methods/login-method.registry';
import { API_DOCS_PATH } from './security-headers';

/**
 * Swagger UI at /docs and the OpenAPI document at /docs/openapi.json, when API_DOCS is on (by
 * default outside production). Off, both are 404 like any unknown path.
 */
export function setupApiDocs(app: INestApplication, enabled: boolean): void {
  if (!enabled) return;
  const methods = app.get(LoginMethodRegistry).list();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('mesibo private backend')
      .setDescription('Log users in by any method, then mint their mesibo user access token.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [LoginResponseDto, ...methods.map((method) => method.body)] },
  );
  for (const method of methods) addLoginOperation(document, method);
  const path = API_DOCS_PATH.slice(1);
  SwaggerModule.setup(path, app, document, { jsonDocumentUrl: `${path}/openapi.json` });
}

/** `POST /v1/auth/<name>/login` of a registered method, with its body schema from its DTO. */
function addLoginOperation(document: OpenAPIObject, method: LoginMethodDefinition): void {
  const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const problem = (description: string) => ({ description, content: { 'application/problem+json': {} } });
  document.paths[`/v1/auth/${method.name}/login`] = {
    post: {
      tags: ['auth'],
      operationId: `login_${method.name.replace(/-/g, '_')}`,
      summary: method.summary,
      ...(method.description ? { description: method.description } : {}),
      requestBody: { required: true, content: { 'application/json': { schema: schema(method.body.name) } } },
      responses: {
        '200': { description: 'Logged in', content: { 'application/json': { schema: schema(LoginResponseDto.name) } } },
        '400': problem('invalid_request: a field is missing or malformed'),
        '401': problem('The credentials were not accepted (the method says which codes it answers with)'),
        '429': problem('rate_limited: see Retry-After'),
        '503': problem('A server this login needs cannot be reached'),
      },
    },
  };
}
