import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { LoginResponseDto } from '../auth/dto/login-response.dto';
import { LoginMethodDefinition } from '../auth/methods/login-method';
import { LoginMethodRegistry } from '../auth/methods/login-method.registry';
import { LoginMethodsController } from '../auth/methods/login-methods.controller';
import { addOpApi } from './op-api-docs';
import { describeProblemResponses, operationIdOf, operationSources, OperationSource } from './problem-responses';
import { API_DOCS_PATH } from './security-headers';

/**
 * Swagger UI at /docs and the OpenAPI document at /docs/openapi.json, when API_DOCS is on (by
 * default outside production). Off, both are 404 like any unknown path.
 */
export function setupApiDocs(app: INestApplication, enabled: boolean): void {
  if (!enabled) return;
  const document = buildApiDocument(app);
  const path = API_DOCS_PATH.slice(1);
  SwaggerModule.setup(path, app, document, { jsonDocumentUrl: `${path}/openapi.json` });
}

/** The REST API from the controllers, one login operation per registered method, and the op API at `POST /`. */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const methods = app.get(LoginMethodRegistry).list();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('mesibo private backend')
      .setDescription(
        'Log users in by any method, then mint their mesibo user access token. The REST API is under /v1; ' +
          'the op API the released apps call is `POST /` (its own tag). REST errors are RFC 9457 problem+json ' +
          'with a stable `code`: each error response lists the codes it can carry.',
      )
      .setVersion('1')
      // What the apps hold after a login: mesibo's opaque user access token, not a JWT.
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'The mesibo user access token a login returned (an opaque string)' })
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An admin key (`mpb_admin_…`), made with `npm run cli -- admin:create-key <name>`' }, 'admin-key')
      .build(),
    { extraModels: [LoginResponseDto, ...methods.map((method) => method.body)], operationIdFactory: operationIdOf },
  );
  const sources = operationSources(app);
  for (const method of methods) sources.set(addLoginOperation(document, method), methodLoginSource(method));
  describeProblemResponses(document, sources);
  addOpApi(document, methods);
  return document;
}

/** `POST /v1/auth/<name>/login` of a registered method, with its body schema from its DTO; returns its operationId. */
function addLoginOperation(document: OpenAPIObject, method: LoginMethodDefinition): string {
  const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const operationId = `login_${method.name.replace(/-/g, '_')}`;
  document.paths[`/v1/auth/${method.name}/login`] = {
    post: {
      tags: ['auth'],
      operationId,
      summary: method.summary,
      ...(method.description ? { description: method.description } : {}),
      requestBody: { required: true, content: { 'application/json': { schema: schema(method.body.name) } } },
      // The error responses: from the route that serves every method, and what the method names.
      responses: { '200': { description: 'Logged in', content: { 'application/json': { schema: schema(LoginResponseDto.name) } } } },
    },
  };
  return operationId;
}

function methodLoginSource(method: LoginMethodDefinition): OperationSource {
  return { controller: LoginMethodsController, handler: 'login', extraProblems: method.problems };
}
