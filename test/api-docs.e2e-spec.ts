import request from 'supertest';
import * as errors from '../src/common/errors';
import { problemStatusOf } from '../src/common/problem-details';
import { OP_API_TAG } from '../src/http/op-api-docs';
import { domainFailReply } from '../src/legacy/legacy-envelope';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { OpenApiDocument, resolveRef, Schema, schemaErrors } from './support/openapi-schema';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const TICKET_SECRET = 'ticket-secret-shared-with-the-portal-0123456789';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// terminus' own format, for orchestrators (src/health/health.controller.ts), not problem+json.
const HEALTH_PROBES = ['/health/live', '/health/ready'];

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Response {
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

/** Every domain error class of src/common/errors.ts, made without arguments: the hierarchy itself, not a list. */
function everyDomainError(): errors.DomainError[] {
  const values: unknown[] = Object.values(errors);
  return values
    .filter((value): value is new () => errors.DomainError => typeof value === 'function' && value.prototype instanceof errors.DomainError)
    .map((type) => new type());
}

describe('the OpenAPI document (/docs/openapi.json)', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let operations: Array<{ path: string; method: string; operation: Operation }>;

  beforeAll(async () => {
    t = await startTestApp({ USERNAME_LOGIN: 'true', TICKET_LOGIN_SECRET: TICKET_SECRET });
    document = (await request(t.url).get('/docs/openapi.json').expect(200)).body as OpenApiDocument;
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation: operation as Operation })),
    );
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  const operationAt = (method: string, path: string): Operation => {
    const found = operations.find((candidate) => candidate.method === method && candidate.path === path);
    if (!found) throw new Error(`no operation ${method} ${path}`);
    return found.operation;
  };
  const problemSchemaOf = (operation: Operation, status: number): Schema => {
    const schema = operation.responses[String(status)]?.content?.['application/problem+json']?.schema;
    if (!schema) throw new Error(`no problem+json response ${status}`);
    return schema;
  };
  const codesOf = (operation: Operation, status: number): unknown[] => problemSchemaOf(operation, status).allOf?.[1]?.properties?.code?.enum ?? [];

  /** A real error answer is one the document lists: its status, its code, and a body that fits the schema. */
  function expectDocumented(res: request.Response, method: string, path: string, code: string): void {
    const operation = operationAt(method, path);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe(code);
    expect(codesOf(operation, res.status)).toContain(code);
    expect(schemaErrors(document, problemSchemaOf(operation, res.status), res.body)).toEqual([]);
  }

  /** A real op API reply fits the documented reply schema, as exactly one of its shapes. */
  function expectOpReplyDocumented(res: request.Response): void {
    expect([res.status, res.headers['content-type']]).toEqual([200, expect.stringMatching(/^application\/json/)]);
    const schema = operationAt('post', '/').responses['200'].content?.['application/json']?.schema as Schema;
    expect(schemaErrors(document, schema, res.body)).toEqual([]);
  }

  it('is an OpenAPI 3.0 document whose structure holds: $refs resolve, ids are unique, path parameters are declared', () => {
    expect(document.openapi).toMatch(/^3\.0\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') refs.push(String(value));
          else walk(value);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((ref) => resolveRef(document, ref) === undefined)).toEqual([]);

    expect(operations.length).toBeGreaterThan(25);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, operation } of operations) {
      expect([path, method, path.startsWith('/')]).toEqual([path, method, true]);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect([path, status, /^[1-5]\d\d$|^default$/.test(status), typeof response.description]).toEqual([path, status, true, 'string']);
      }
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path' && parameter.required).map((parameter) => parameter.name);
      expect([path, declared.sort()]).toEqual([path, templated.sort()]);
    }
  });

  it('every example fits the schema it illustrates', () => {
    let checked = 0;
    for (const { path, operation } of operations) {
      const media = [...Object.values(operation.requestBody?.content ?? {}), ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {}))];
      for (const { schema, example, examples } of media) {
        if (!schema) continue;
        const values = [...(example === undefined ? [] : [example]), ...Object.values(examples ?? {}).map((named) => named.value)];
        for (const value of values) {
          expect([path, value, schemaErrors(document, schema, value)]).toEqual([path, value, []]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('gives every operation a success response (2xx, or the redirect of a web login), and every error response problem+json with the codes it carries', () => {
    for (const { path, method, operation } of operations) {
      const statuses = Object.keys(operation.responses).map(Number);
      // Routes that start a browser login succeed by redirecting to the provider.
      const success = statuses.some((status) => status >= 200 && status < 300) || (statuses.includes(302) && /\/(login|\{provider\})$/.test(path));
      expect([method, path, success]).toEqual([method, path, true]);
      if (HEALTH_PROBES.includes(path)) {
        // The probes answer 503 with terminus' body, and the document says so.
        expect(operation.responses['503'].content?.['application/json']?.schema?.properties).toHaveProperty('status');
        continue;
      }
      for (const status of statuses.filter((status) => status >= 400)) {
        const schema = problemSchemaOf(operation, status);
        expect(schema.allOf?.[0]).toEqual({ $ref: '#/components/schemas/ProblemDetails' });
        const codes = codesOf(operation, status) as string[];
        expect([method, path, status, codes.length > 0]).toEqual([method, path, status, true]);
        // Each code is one the REST surface answers with this status; bodies the parser refuses carry invalid_request.
        for (const code of codes) {
          const expected = status === 413 || status === 415 ? code === 'invalid_request' : problemStatusOf(code as errors.DomainErrorCode) === status;
          expect([method, path, status, code, expected]).toEqual([method, path, status, code, true]);
        }
        const examples = operation.responses[String(status)].content?.['application/problem+json']?.examples ?? {};
        expect(Object.keys(examples).sort()).toEqual([...codes].sort());
      }
    }
    expect(document.components.schemas.ProblemDetails.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(document.components.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque' });
  });

  it('names each REST code of the domain errors on some route; the rest belong to the op API or to methods not configured here', () => {
    const documented = new Set(
      operations.flatMap(({ operation }) => Object.values(operation.responses).flatMap((response) => (response.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? []) as string[])),
    );
    const missing = everyDomainError()
      .map((error) => error.code)
      .filter((code) => !documented.has(code));
    expect(missing.sort()).toEqual(['challenge_required', 'login_method_unavailable', 'missing_appid', 'negotiate_required']);
  });

  it('lists the codes the REST routes really answer', async () => {
    const phone = '18005550101';
    await api().post('/v1/auth/otp').send({ phone, appid: APPID }).expect(202);
    expectDocumented(await api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: '000000' }), 'post', '/v1/auth/otp/verify', 'invalid_code');
    expectDocumented(await api().post('/v1/auth/otp').send({ phone: '12', appid: APPID }), 'post', '/v1/auth/otp', 'invalid_phone');
    expectDocumented(await api().post('/v1/auth/otp').send({ phone, appid: APPID, extra: 1 }), 'post', '/v1/auth/otp', 'invalid_request');
    expectDocumented(await api().post('/v1/auth/otp').set('Content-Type', 'text/plain').send('phone=1'), 'post', '/v1/auth/otp', 'invalid_request');
    expectDocumented(await api().get('/v1/me'), 'get', '/v1/me', 'invalid_token');
    expectDocumented(await api().post('/v1/auth/username/login').send({ username: 'nobody', password: 'not-the-password', appid: APPID }), 'post', '/v1/auth/username/login', 'invalid_credentials');

    const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
    const ticket = { user: 'ada', expires, signature: signTicket(TICKET_SECRET, 'ada', expires), appid: APPID };
    const login = await api().post('/v1/auth/ticket/login').send(ticket).expect(200);
    expectDocumented(await api().post('/v1/auth/ticket/login').send(ticket), 'post', '/v1/auth/ticket/login', 'invalid_credentials');
    const token = (login.body as { token: string }).token;
    // A malformed id is invalid_request, like every other bad input.
    expectDocumented(await api().delete('/v1/me/identities/not-an-id').auth(token, { type: 'bearer' }), 'delete', '/v1/me/identities/{id}', 'invalid_request');
    expectDocumented(
      await api().delete('/v1/me/identities/00000000-0000-4000-8000-000000000000').auth(token, { type: 'bearer' }),
      'delete',
      '/v1/me/identities/{id}',
      'not_found',
    );
  });

  describe('the op API', () => {
    const operation = () => operationAt('post', '/');
    const errorEnum = () => (document.components.schemas.OpReplyFailure.properties?.error?.enum ?? []) as string[];

    it(`is POST / under the tag "${OP_API_TAG}", answering HTTP 200 only, with JSON and the form types it reads`, () => {
      expect(operation().tags).toEqual([OP_API_TAG]);
      expect(document.tags?.map((tag) => tag.name)).toContain(OP_API_TAG);
      expect(Object.keys(operation().responses)).toEqual(['200']);
      expect(Object.keys(operation().requestBody?.content ?? {}).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
      const shapes = (operation().requestBody?.content['application/json'].schema?.oneOf ?? []).map((shape) => shape.$ref?.split('/').pop());
      expect(shapes).toEqual(['OpLoginRequestCode', 'OpLoginWithCode', 'OpLogin_ticket', 'OpLogin_username', 'OpLogin_email', 'OpLogout', 'OpDeleteAccount']);
    });

    it('lists exactly the errors the op API can send: the mapping of every domain error, BADOP and INTERNAL', () => {
      const mapped = everyDomainError().map((error) => String(domainFailReply('login', 0, error).error));
      expect(mapped.length).toBeGreaterThan(20);
      expect([...errorEnum()].sort()).toEqual([...new Set([...mapped, 'BADOP', 'INTERNAL'])].sort());
    });

    it('documents the replies the op API really sends, each as exactly one of its shapes', async () => {
      const phone = '18005550202';
      const requestCode = await api().post('/').send({ op: 'login', phone, appid: APPID, dt: 1 });
      expect(requestCode.body).toMatchObject({ result: 'OK' });
      expectOpReplyDocumented(requestCode);
      const wrong = await api().post('/').send({ op: 'login', phone, appid: APPID, otp: '000000' });
      expect(wrong.body.error).toBe('BADCODE');
      expectOpReplyDocumented(wrong);
      const login = await api().post('/').send({ op: 'login', phone, appid: APPID, otp: t.gateway.lastCodeFor(phone), device: 'pixel' });
      expect(login.body).toMatchObject({ result: 'OK', token: expect.any(String) });
      expectOpReplyDocumented(login);
      const logout = await api().post('/').send({ op: 'logout', token: login.body.token });
      expect(logout.body).toMatchObject({ op: 'logout', result: 'OK' });
      expectOpReplyDocumented(logout);

      for (const [body, error] of [
        [{ op: 'nosuch' }, 'BADOP'],
        [{ op: 'login', phone }, 'MISSINGAPPID'],
        [{ op: 'login', phone: '12', appid: APPID }, 'BADPHONE'],
        [{ op: 'login', method: 'username', username: 'nobody', password: 'not-the-password', appid: APPID }, 'BADLOGIN'],
        [[1, 2], 'BADREQUEST'],
      ] as const) {
        const res = await api().post('/').send(body);
        expect(res.body.error).toBe(error);
        expect(errorEnum()).toContain(res.body.error);
        expectOpReplyDocumented(res);
      }
      // Not JSON at all, in a type the parser does not read as a form: still a 200 and a documented reply.
      const garbage = await api().post('/').set('Content-Type', 'application/json').send('{op: login');
      expect(garbage.body.error).toBe('BADREQUEST');
      expectOpReplyDocumented(garbage);
    });

    it('its request examples are requests the op API accepts', async () => {
      const examples = operation().requestBody?.content['application/json'].examples ?? {};
      expect(Object.keys(examples)).toEqual(expect.arrayContaining(['requestCode', 'loginWithCode', 'logout']));
      const sent = await api().post('/').send(examples.requestCode.value as object);
      expect(sent.body).toMatchObject({ op: 'login', result: 'OK' });
      const loggedOut = await api().post('/').send(examples.logout.value as object);
      expect(loggedOut.body).toMatchObject({ op: 'logout', result: 'OK' });
      // The text/plain example is the same JSON, as browsers send it to skip a preflight.
      const text = operation().requestBody?.content['text/plain'].example as string;
      const asText = await api().post('/').set('Content-Type', 'text/plain').send(text);
      expect(asText.body).toMatchObject({ op: 'login' });
      expect(asText.body.error).not.toBe('BADREQUEST');
    });
  });
});
