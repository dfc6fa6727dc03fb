import { ExecutionContext, INestApplication, Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { OpenAPIObject } from '@nestjs/swagger';
import {
  ExampleObject,
  OperationObject,
  PathItemObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { RecentProofGuard } from '../auth/recent-proof.guard';
import { API_PROBLEMS } from '../common/api-problems';
import { DomainErrorCode, InvalidRequestError } from '../common/errors';
import { problem, ProblemDetails, problemStatusOf } from '../common/problem-details';
import { SendOriginGuard } from '../common/send-origin.guard';
import { isUnauthenticatedRoute } from '../throttling/unauthenticated-throttler.guard';
import { ERROR_EXAMPLES } from './error-examples';

/** Where an operation of the document comes from: its handler, and codes named for it elsewhere (a login method's). */
export interface OperationSource {
  controller: Type<unknown>;
  handler: string;
  extraProblems?: readonly DomainErrorCode[];
}

/** The operationId of a handler in the document: `<Controller>_<method>`. */
export function operationIdOf(controllerName: string, handlerName: string): string {
  return `${controllerName}_${handlerName}`;
}

/** Every handler of the app's controllers, by its operationId. */
export function operationSources(app: INestApplication): Map<string, OperationSource> {
  const sources = new Map<string, OperationSource>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller) continue;
      for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
        if (handler !== 'constructor') sources.set(operationIdOf(controller.name, handler), { controller, handler });
      }
    }
  }
  return sources;
}

/** One error answer: a status and the stable `code` it carries, with a body as the service sends it. */
interface ProblemAnswer {
  status: number;
  code: string;
  example: ProblemDetails;
}

function domainAnswer(code: DomainErrorCode): ProblemAnswer {
  const error = ERROR_EXAMPLES[code];
  const status = problemStatusOf(code);
  const details = error instanceof InvalidRequestError ? error.details : undefined;
  return { status, code, example: problem(status, code, error.message, details, error.replyFields) };
}

// The body parser of /v1 answers these before any route runs (src/app.setup.ts, src/common/request-edge.ts).
const BODY_TOO_LARGE: ProblemAnswer = { status: 413, code: 'invalid_request', example: problem(413, 'invalid_request', 'The request body is too large.') };
const BODY_NOT_JSON: ProblemAnswer = {
  status: 415,
  code: 'invalid_request',
  example: problem(415, 'invalid_request', 'The request body must be JSON, sent as Content-Type: application/json.'),
};

/**
 * What an operation may answer besides its success: what every route of its kind answers, found
 * from the same things that make those answers (the path, the body, the throttler's rule, the guards),
 * and the codes its handler names with @ApiProblems.
 */
function problemAnswers(path: string, operation: OperationObject, source: OperationSource): ProblemAnswer[] {
  const handler = (source.controller.prototype as Record<string, () => unknown>)[source.handler];
  const codes: DomainErrorCode[] = [];
  // Query strings are checked on every /v1 route; everything there reads the database or the shared counters.
  if (path.startsWith('/v1/')) codes.push('invalid_request', 'service_unavailable');
  if (isUnauthenticatedRoute(contextOf(source.controller, handler))) codes.push('rate_limited');
  if (operation.security?.some((requirement) => 'bearer' in requirement)) codes.push('invalid_token');
  if (sendsCodes(source.controller, handler)) codes.push('origin_not_allowed');
  if (guardsOf(source.controller, handler).includes(RecentProofGuard)) codes.push('recent_proof_required');
  const named = Reflect.getMetadata(API_PROBLEMS, handler) as DomainErrorCode[] | undefined;
  codes.push(...(named ?? []), ...(source.extraProblems ?? []));
  const answers = [...new Set(codes)].map(domainAnswer);
  if (operation.requestBody) answers.push(BODY_TOO_LARGE, BODY_NOT_JSON);
  return answers;
}

function contextOf(controller: Type<unknown>, handler: () => unknown, request: object = {}): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

/** Asks the Origin guard itself: a route it refuses for a foreign page when no origin may send codes. */
function sendsCodes(controller: Type<unknown>, handler: () => unknown): boolean {
  const strictest = new SendOriginGuard(new Reflector(), { corsOrigins: [], corsEnforceOnSends: true });
  try {
    strictest.canActivate(contextOf(controller, handler, { headers: { origin: 'https://elsewhere.example' } }));
    return false;
  } catch {
    return true;
  }
}

function guardsOf(controller: Type<unknown>, handler: () => unknown): unknown[] {
  const read = (target: object) => (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];
  return [...read(controller), ...read(handler)];
}

/** RFC 9457 problem details, as every error of the REST surface is answered (src/common/problem-details.ts). */
export const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Unauthorized' },
    status: { type: 'integer', example: 401 },
    detail: { type: 'string', description: 'For people; safe to show, never a secret' },
    code: { type: 'string', description: 'Stable and machine-readable: branch on this. Each response lists the codes it can carry.', example: 'invalid_code' },
    errors: { type: 'array', items: { type: 'string' }, description: 'With invalid_request: what is wrong with which field' },
    state: { type: 'string', description: 'With challenge_required: send it back with the answer' },
    challenge: { type: 'string', description: 'With challenge_required: the prompt to show' },
  },
};

const PROBLEM_DETAILS_REF: ReferenceObject = { $ref: '#/components/schemas/ProblemDetails' };

/** What a status means here, when the route's own description says nothing more. */
const STATUS_MEANING: Record<number, string> = {
  400: 'The request is not valid',
  401: 'Not authenticated: the token or the credentials were not accepted',
  403: 'Refused',
  404: 'Not found',
  409: 'Conflicts with another account, or with what this account needs',
  413: 'The body is larger than BODY_LIMIT',
  415: 'The body is not of a type this route reads (JSON)',
  429: 'Too many requests: wait for Retry-After seconds',
  502: 'mesibo refused the request',
  503: 'Not available right now: try again shortly',
};

const HEADERS: Record<number, ResponseObject['headers']> = {
  401: { 'WWW-Authenticate': { description: '`Bearer`, or `Negotiate` (with negotiate_required)', schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } },
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Gives every error response of the document the problem+json body the filter sends: per status,
 * the `code` values it can carry as an enum, with an example of each. Responses declared with a
 * body of their own (the health probes' terminus format) are left as they are.
 */
export function describeProblemResponses(document: OpenAPIObject, sources: ReadonlyMap<string, OperationSource>): void {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_DETAILS_SCHEMA } };
  for (const [path, item] of Object.entries<PathItemObject>(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const source = operation.operationId ? sources.get(operation.operationId) : undefined;
      const answers = source ? problemAnswers(path, operation, source) : [];
      for (const [status, ofStatus] of groupByStatus(answers)) {
        const declared = operation.responses[status] as ResponseObject | undefined;
        operation.responses[status] = problemResponse(Number(status), ofStatus, declared?.description);
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || response === undefined || !('description' in response) || response.content) continue;
        response.content = { 'application/problem+json': { schema: PROBLEM_DETAILS_REF } };
      }
    }
  }
}

function groupByStatus(answers: ProblemAnswer[]): Map<string, ProblemAnswer[]> {
  const groups = new Map<string, ProblemAnswer[]>();
  for (const answer of answers) {
    const group = groups.get(String(answer.status)) ?? [];
    if (!group.some((known) => known.code === answer.code)) group.push(answer);
    groups.set(String(answer.status), group);
  }
  return groups;
}

function problemResponse(status: number, answers: ProblemAnswer[], declaredDescription: string | undefined): ResponseObject {
  const codes = answers.map((answer) => answer.code);
  const examples: Record<string, ExampleObject> = Object.fromEntries(answers.map((answer) => [answer.code, { summary: answer.example.detail, value: answer.example }]));
  return {
    description: `${declaredDescription ?? STATUS_MEANING[status] ?? 'Refused'}\n\n\`code\`: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    ...(HEADERS[status] ? { headers: HEADERS[status] } : {}),
    content: {
      'application/problem+json': {
        schema: { allOf: [PROBLEM_DETAILS_REF, { type: 'object', properties: { code: { type: 'string', enum: codes } } }] },
        examples,
      },
    },
  };
}
