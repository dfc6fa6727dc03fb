import request from 'supertest';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const SECRET = 'ticket-secret-shared-with-the-portal-0123456789';

/**
 * The method registry, seen through both surfaces with the example `ticket` method: a method that
 * registered itself gets `POST /v1/auth/<name>/login`, the op API's `method` field and an OpenAPI
 * operation, with no code of its own in either surface.
 */
describe('login methods from the registry (the example ticket method)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TICKET_LOGIN_SECRET: SECRET, TICKET_LOGIN_MAX_AGE_SECONDS: '300' });
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  const nowSeconds = () => Math.floor(t.clock.nowMs() / 1000);
  const ticket = (user: string, expiresIn = 60, secret = SECRET) => {
    const expires = String(nowSeconds() + expiresIn);
    return { user, expires, signature: signTicket(secret, user, expires) };
  };

  it('logs in on the REST surface and mints a mesibo token for the ticket user', async () => {
    const res = await api().post('/v1/auth/ticket/login').send({ ...ticket('ada'), appid: APPID, device: 'laptop' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token: expect.any(String), address: 'ada', newUser: true });
    expect(t.mesibo.users.get('ada')?.tokens.has(res.body.token)).toBe(true);
    const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
    expect(me.body.identities).toEqual([expect.objectContaining({ method: 'ticket', subject: 'ada', verified: false })]);
  });

  it('logs in on the op API with method "ticket", and the reply has what the apps read', async () => {
    const res = await api().post('/').send({ op: 'login', method: 'ticket', ...ticket('grace'), appid: APPID, dt: 'web' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: 'grace' });
    expect(t.mesibo.users.get('grace')?.tokens.has(res.body.token)).toBe(true);
  });

  it('refuses a ticket the second time, on either surface', async () => {
    const once = ticket('linus');
    expect((await api().post('/v1/auth/ticket/login').send({ ...once, appid: APPID })).status).toBe(200);
    const again = await api().post('/v1/auth/ticket/login').send({ ...once, appid: APPID });
    expect([again.status, again.body.code]).toEqual([401, 'invalid_credentials']);
    const viaOp = await api().post('/').send({ op: 'login', method: 'ticket', ...once, appid: APPID });
    expect(viaOp.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADLOGIN' });
  });

  it('lets exactly one of 200 concurrent logins with one ticket through', async () => {
    const once = ticket('burst');
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? api().post('/v1/auth/ticket/login').send({ ...once, appid: APPID }).then((res) => res.status)
          : api().post('/').send({ op: 'login', method: 'ticket', ...once, appid: APPID }).then((res) => (res.body.result === 'OK' ? 200 : 401)),
      ),
    );
    expect(answers.filter((status) => status === 200)).toHaveLength(1);
    expect(answers.filter((status) => status === 401)).toHaveLength(199);
  });

  it.each([
    ['a wrong signature', () => ({ ...ticket('mallory'), signature: ticket('mallory', 60, 'another-secret-another-secret-0123456789').signature })],
    ['a signature of another user', () => ({ ...ticket('mallory'), user: 'ada' })],
    ['an expired ticket', () => ticket('mallory', -1)],
    ['a ticket valid for longer than allowed', () => ticket('mallory', 3600)],
  ])('refuses %s with one answer', async (_case, make) => {
    const res = await api().post('/v1/auth/ticket/login').send({ ...make(), appid: APPID });
    expect([res.status, res.body.code]).toEqual([401, 'invalid_credentials']);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it.each([['a phone number', '18005550142'], ['an email address', 'ada@example.com']])(
    'refuses %s as the address of a method that did not prove it, so its owner never joins that account',
    async (_kind, user) => {
      const squat = await api().post('/v1/auth/ticket/login').send({ ...ticket(user), appid: APPID });
      expect([squat.status, squat.body.code]).toEqual([403, 'address_not_allowed']);
      const viaOp = await api().post('/').send({ op: 'login', method: 'ticket', ...ticket(user), appid: APPID });
      expect(viaOp.body).toMatchObject({ result: 'FAIL', error: 'ADDRESSNOTALLOWED' });
      expect(t.mesibo.users.has(user)).toBe(false);
    },
  );

  it('moves with the clock: a ticket that was fine expires', async () => {
    const soon = ticket('later', 30);
    t.clock.advance(31);
    const res = await api().post('/v1/auth/ticket/login').send({ ...soon, appid: APPID });
    expect(res.status).toBe(401);
  });

  it('validates the body by the method DTO: unknown fields refused on REST, dropped on the op API', async () => {
    const rest = await api().post('/v1/auth/ticket/login').send({ ...ticket('fields'), appid: APPID, admin: 'true' });
    expect([rest.status, rest.body.code]).toEqual([400, 'invalid_request']);
    expect(rest.body.errors).toEqual(['property admin should not exist']);
    const op = await api().post('/').send({ op: 'login', method: 'ticket', ...ticket('fields'), appid: APPID, admin: 'true' });
    expect(op.body.result).toBe('OK');
  });

  it.each([
    ['no appid', { appid: undefined }, 'appid'],
    ['a malformed signature', { signature: 'x'.repeat(44) }, 'signature'],
    ['expires that is not a time', { expires: '12e5' }, 'expires'],
    ['a user with a control character', { user: 'a\u0007b' }, 'user'],
  ])('answers 400 naming the field for %s, and never spends the ticket', async (_case, change, field) => {
    const good = ticket(`checked-${field}`);
    const res = await api().post('/v1/auth/ticket/login').send({ ...good, appid: APPID, ...change });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
    expect((res.body as { errors: string[] }).errors.join(' ')).toContain(field);
    expect((await api().post('/v1/auth/ticket/login').send({ ...good, appid: APPID })).status).toBe(200);
  });

  it.each([[[]], ['text'], [42]])('answers 400 to a body that is not an object (%j)', async (body) => {
    const res = await api().post('/v1/auth/ticket/login').set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status).toBe(400);
  });

  it('answers an unknown method with 404 on REST and BADREQUEST on the op API', async () => {
    const rest = await api().post('/v1/auth/nosuch/login').send({ appid: APPID });
    expect([rest.status, rest.body.code]).toEqual([404, 'not_found']);
    const op = await api().post('/').send({ op: 'login', method: 'nosuch', appid: APPID });
    expect(op.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADREQUEST' });
  });

  it('keeps phone and email on the op API as the released apps send them', async () => {
    // No method field: a phone login asks for a code, an email and password try the email method.
    const phone = await api().post('/').send({ op: 'login', phone: '+1 800 555 0123', appid: APPID });
    expect(phone.body).toMatchObject({ op: 'login', result: 'OK' });
    const email = await api().post('/').send({ op: 'login', email: 'nobody@example.com', password: 'not the password', appid: APPID });
    expect(email.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADLOGIN' });
  });

  it('documents one operation per registered method in OpenAPI, with the method DTO as its body', async () => {
    const { body: document } = await api().get('/docs/openapi.json');
    const ticketLogin = document.paths['/v1/auth/ticket/login'].post;
    expect(ticketLogin.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TicketLoginDto' });
    expect(Object.keys(document.components.schemas.TicketLoginDto.properties).sort()).toEqual(['appid', 'device', 'expires', 'signature', 'user']);
    expect(document.paths['/v1/auth/email/login'].post.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/LoginResponseDto',
    });
    expect(document.paths['/v1/auth/{method}/login']).toBeUndefined();
  });

  it('describes every error response of every operation as problem+json, and the bearer token as the opaque mesibo token', async () => {
    const { body: document } = await api().get('/docs/openapi.json');
    const errors: Array<[string, string, { content?: Record<string, { schema?: unknown }> }]> = [];
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, object> }>>)) {
      // The health probes answer in terminus' format, and are documented so.
      if (path.startsWith('/health/')) continue;
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) if (Number(status) >= 400) errors.push([path, status, response]);
      }
    }
    expect(errors.length).toBeGreaterThan(20);
    for (const [path, status, response] of errors) {
      // ProblemDetails, with the `code` values this response can carry.
      expect([path, status, response.content?.['application/problem+json']?.schema]).toEqual([
        path,
        status,
        { allOf: [{ $ref: '#/components/schemas/ProblemDetails' }, { type: 'object', properties: { code: { type: 'string', enum: expect.arrayContaining([expect.any(String)]) } } }] },
      ]);
    }
    expect(document.components.schemas.ProblemDetails.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.bearer.bearerFormat).toBe('opaque');
  });

  it('never logs a ticket signature', () => {
    expect(t.logs.lines.join('\n')).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });
});

describe('a method that is not configured', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TICKET_LOGIN_SECRET: '' });
  });
  afterAll(() => t.close());

  it('is not offered on either surface, nor in the OpenAPI document', async () => {
    const rest = await request(t.url).post('/v1/auth/ticket/login').send({ user: 'a', expires: '1', signature: 'x'.repeat(43), appid: APPID });
    expect(rest.status).toBe(404);
    const op = await request(t.url).post('/').send({ op: 'login', method: 'ticket', appid: APPID });
    expect(op.body.error).toBe('BADREQUEST');
    const { body: document } = await request(t.url).get('/docs/openapi.json');
    expect(document.paths['/v1/auth/ticket/login']).toBeUndefined();
    expect(document.paths['/v1/auth/email/login']).toBeDefined();
  });
});
