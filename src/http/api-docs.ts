import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
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
      // What the apps hold after a login: mesibo's opaque user access token, not a JWT.
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'The mesibo user access token a login returned (an opaque string)' })
      .build(),
    { extraModels: [LoginResponseDto, ...methods.map((method) => method.body)] },
  );
  for (const method of methods) addLoginOperation(document, method);
  describeProblemResponses(document);
  const path = API_DOCS_PATH.slice(1);
  SwaggerModule.setup(path, app, document, { jsonDocumentUrl: `${path}/openapi.json` });
}

/** `POST /v1/auth/<name>/login` of a registered method, with its body schema from its DTO. */
function addLoginOperation(document: OpenAPIObject, method: LoginMethodDefinition): void {
  const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const problem = (description: string) => ({ description });
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

/** RFC 9457 problem details, as every error of the REST surface is answered (src/common/problem-details.ts). */
const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Unauthorized' },
    status: { type: 'integer', example: 401 },
    detail: { type: 'string', description: 'For people; safe to show, never a secret' },
    code: { type: 'string', description: 'Stable and machine-readable: branch on this (README, "The REST API")', example: 'invalid_code' },
    errors: { type: 'array', items: { type: 'string' }, description: 'With invalid_request: what is wrong with which field' },
    state: { type: 'string', description: 'With challenge_required: send it back with the answer' },
    challenge: { type: 'string', description: 'With challenge_required: the prompt to show' },
  },
};

/** Every error response of every operation has the problem+json body the filter sends. */
function describeProblemResponses(document: OpenAPIObject): void {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_DETAILS_SCHEMA } };
  for (const path of Object.values(document.paths)) {
    for (const operation of [path.get, path.post, path.put, path.patch, path.delete]) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (Number(status) < 400 || response === undefined || !('description' in response)) continue;
        response.content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } };
      }
    }
  }
}
