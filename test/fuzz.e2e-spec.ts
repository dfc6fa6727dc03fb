import fc from 'fast-check';
import JSON5 from 'json5';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Property-based fuzzing of every route: each operation of the OpenAPI document (bodies, path and
 * query parameters generated from its schemas, mixed with junk), the op API (`POST /` in every
 * encoding it reads, and `GET /`). Whatever comes in, the answer is never a 5xx, never the op API's
 * INTERNAL, and never shows a stack trace or an internal detail.
 *
 * The seed is fixed, so a failure is reproducible; FUZZ_SEED and FUZZ_SCALE change it for a longer run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
// Database servers answer more slowly than the embedded SQLite file: fewer cases there.
const SCALE = Number(process.env.FUZZ_SCALE ?? (process.env.E2E_DATABASE_URL ? 0.6 : 1));
const runs = (count: number): number => Math.max(10, Math.round(count * SCALE));

const APPID = 'com.messenger.appid';

// ---------------------------------------------------------------------------------------------
// Values

/** JSON text to splice into a body as is (deep nesting that JSON.stringify itself could not write). */
class RawJson {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([key, child]) => `${JSON.stringify(key)}:${toJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The relaxed syntax of the mesibo docs (`{op: 'login'}`); written here, since JSON5.stringify recurses. */
function toRelaxed(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toRelaxed).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON5.stringify(name));
    return `{${Object.entries(value).map(([name, child]) => `${key(name)}: ${toRelaxed(child)}`).join(', ')},}`;
  }
  return typeof value === 'string' ? JSON5.stringify(value, { quote: "'" }) : (JSON.stringify(value) ?? 'null');
}

/** A field as form encodings carry it: strings as they are, anything else as its JSON text. */
function formValue(value: unknown): string {
  return typeof value === 'string' ? value : toJson(value);
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const edgeText = fc.constantFrom(
  '\u0000', '\u0007', '\t', '\n', '\r', '\u001f', '\u007f', '\u0085', '\u00a0', '\u200b', '\u200d', '\u2028', '\u202e',
  '\ufeff', '\ufffd', '\uffff', '\ud83d\ude00', 'e\u0301', 'İ', 'ß', '\\', '"', "'", '%', '%00', '&', '=', '+', '<script>',
  '{', '}', '[', ']', '${x}', "' OR 1=1 --", '../', '__proto__', 'constructor', ' ', '',
);
const unicodeJunk = fc.array(fc.oneof(edgeText, loneSurrogate, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 10 }).map((parts) => parts.join(''));
const longText = fc.oneof(
  fc.integer({ min: 17, max: 300 }).map((n) => '7'.repeat(n)),
  fc.integer({ min: 250, max: 5000 }).map((n) => 'x'.repeat(n)),
  // Over BODY_LIMIT (100 kB): some of these make the whole body too large.
  fc.constant('z'.repeat(110 * 1024)),
);
const junkString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 4, arbitrary: unicodeJunk },
  { weight: 2, arbitrary: longText },
);
const deepNesting = fc
  .tuple(fc.integer({ min: 15, max: 3000 }), fc.boolean())
  .map(([depth, objects]) => new RawJson(objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`));
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: junkString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }) },
  { weight: 1, arbitrary: deepNesting },
);
const junkKey = fc.oneof(fc.string({ maxLength: 12 }), unicodeJunk, fc.constantFrom('__proto__', 'constructor', 'op', 'token', 'x'.repeat(300)));

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const phone = fc.oneof(digits(9, 15), digits(9, 15).map((d) => `+${d}`), fc.constantFrom('18005551234', '+1 800 555 1234', '0091 98765 43210'));
const email = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('ada@example.com', 'ADA@Example.COM', ' ada@example.com ', 'a@b', 'a@xn--mnchen-3ya.de', 'ü@münchen.de'),
);
const password = fc.oneof(fc.string({ minLength: 8, maxLength: 40 }), fc.constantFrom('correct horse battery staple', 'password', '12345678'));

/** A value that may pass validation, chosen by the field's name and schema, so the fuzz reaches the services. */
function plausible(name: string, schema: Schema | undefined): fc.Arbitrary<unknown> {
  const key = name.toLowerCase();
  if (key.includes('phone')) return phone;
  if (key.includes('email')) return email;
  if (key.includes('password')) return password;
  if (key === 'otp' || key === 'code') return fc.oneof(digits(6, 6), digits(1, 8));
  if (key.includes('appid')) return fc.constantFrom(APPID, 'com.example.app', 'a');
  if (key.includes('return_to') || key.includes('url')) return fc.constantFrom('https://chat.example.com/login-done', 'javascript:alert(1)', '//evil.example');
  if (key === 'id') return fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }));
  if (schema?.type === 'boolean') return fc.boolean();
  if (schema?.type === 'integer' || schema?.type === 'number') return fc.integer();
  if (schema?.example !== undefined) return fc.oneof(fc.constant(schema.example), fc.string({ maxLength: 40 }));
  return fc.string({ maxLength: 40 });
}

/** A plausible value with an edge character or lone surrogate slipped in: it gets past the first checks. */
function injected(name: string, schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc
    .tuple(plausible(name, schema), fc.oneof(edgeText, loneSurrogate), fc.nat())
    .map(([value, inject, at]) => {
      if (typeof value !== 'string') return value;
      const cut = at % (value.length + 1);
      return `${value.slice(0, cut)}${inject}${value.slice(cut)}`;
    });
}

/** A field value: mostly plausible, often junk, or plausible with junk inside. */
const fieldValue = (name: string, schema?: Schema) =>
  fc.oneof(
    { weight: 3, arbitrary: plausible(name, schema) },
    { weight: 2, arbitrary: injected(name, schema) },
    { weight: 2, arbitrary: junkValue },
  );

/**
 * Percent-encodes a string byte by byte, lone surrogates as the 3 bytes a careless client would send
 * (WTF-8), plus raw broken escapes now and then.
 */
function percentEncode(value: string): string {
  let out = '';
  for (const char of value) {
    const unit = char.codePointAt(0)!;
    const bytes =
      unit >= 0xd800 && unit <= 0xdfff
        ? Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)])
        : Buffer.from(char, 'utf8');
    for (const byte of bytes) {
      out += /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}
// Node's HTTP parser refuses a request head over 16 KiB before the app sees it (431 on Node 20 and
// 22, a reset on 24), so a URL part stays well below that; long values are fuzzed in bodies.
const URL_PART_MAX = 3000;
const urlPart = (arbitrary: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: arbitrary.map((value) => percentEncode(typeof value === 'string' ? value : toJson(value)).slice(0, URL_PART_MAX)) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ED%A0%80', '%C0%AF', '%00', '%2F', '..', '%FF%FE', '%uD800') },
  );

/** Header values as a client can send them (visible ASCII). */
const headerText = fc.stringMatching(/^[\x21-\x7e]{0,200}$/);

// ---------------------------------------------------------------------------------------------
// What every answer must (not) be

/** Traces, paths, SQL, driver and library names: nothing a client should ever see. */
const LEAKS: RegExp[] = [
  /\bat [\w$.<>]+ \(/,
  /node_modules|\/work\/|\/src\/|\.[jt]s:\d+/,
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/,
  /\b\w*Error:/,
  /sqlite|postgres|mysql|mariadb|kysely|knex|ECONNREFUSED|ER_\w+/i,
  /class-validator|class-transformer|body-parser|multer|busboy|json5|express|nestjs|argon2|passport/i,
  /\[object Object\]|\bundefined\b|\bNaN\b/,
];

interface Reply {
  status: number;
  text: string;
  body: unknown;
}

function problemsOf(reply: Reply, opApi: boolean): string[] {
  const problems: string[] = [];
  if (reply.status >= 500) problems.push(`status ${reply.status}`);
  if (opApi && (reply.body as { error?: unknown } | undefined)?.error === 'INTERNAL') problems.push('op API error INTERNAL');
  for (const leak of LEAKS) if (leak.test(reply.text)) problems.push(`leaks ${leak}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

interface Schema {
  type?: string;
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  parameters: Parameter[];
  bodySchema?: Schema;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: Schema | undefined): Schema | undefined => {
    if (!schema) return undefined;
    if (schema.$ref) return resolve(document.components?.schemas?.[schema.$ref.split('/').pop()!]);
    if (schema.allOf) {
      const parts = schema.allOf.map(resolve);
      return {
        type: 'object',
        properties: Object.assign({}, ...parts.map((part) => part?.properties ?? {})) as Record<string, Schema>,
        required: parts.flatMap((part) => part?.required ?? []),
      };
    }
    return schema;
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method as Operation['method'],
        path,
        parameters: (operation.parameters ?? []).map((parameter) => ({ ...parameter, schema: resolve(parameter.schema) })),
        bodySchema: resolve(operation.requestBody?.content?.['application/json']?.schema),
      });
    }
  }
  // Operations that end the session or remove identities go last, so the others meet a live token.
  const ending = (operation: Operation) => operation.method === 'delete' || /logout|password/.test(operation.path);
  return [...operations.filter((o) => !ending(o)), ...operations.filter(ending)];
}

// ---------------------------------------------------------------------------------------------
// Requests

interface RestCase {
  path: string;
  query: string;
  contentType: string | undefined;
  body: string | undefined;
  /** 'valid', 'none', or the header to send. */
  authorization: string;
  origin: string | undefined;
}

function restCase(operation: Operation): fc.Arbitrary<RestCase> {
  const pathParameters = operation.parameters.filter((p) => p.in === 'path');
  const queryParameters = operation.parameters.filter((p) => p.in === 'query');
  const segments = fc.record(Object.fromEntries(pathParameters.map((p) => [p.name, urlPart(fieldValue(p.name, p.schema))])));
  const query = fc
    .tuple(
      fc.record(Object.fromEntries(queryParameters.map((p) => [p.name, urlPart(fieldValue(p.name, p.schema))])), { requiredKeys: [] }),
      fc.dictionary(urlPart(junkKey), urlPart(junkValue), { maxKeys: 2 }),
      fc.boolean(),
    )
    .map(([known, extra, withExtra]) =>
      Object.entries({ ...known, ...(withExtra ? extra : {}) })
        .map(([name, value]) => `${queryParameters.some((p) => p.name === name) ? name : name}=${value}`)
        .join('&'),
    );
  const properties = operation.bodySchema?.properties ?? {};
  const knownFields = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, fieldValue(name, schema)])),
    { requiredKeys: [] },
  );
  const objectBody = fc
    .tuple(knownFields, fc.dictionary(junkKey, junkValue, { maxKeys: 2 }), fc.nat(4))
    .map(([known, extra, pick]) => toJson(pick === 0 ? { ...extra, ...known } : known));
  const body = fc.oneof(
    { weight: 8, arbitrary: objectBody },
    { weight: 1, arbitrary: junkValue.map(toJson) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"a":}', '[', 'null', '', '{"a":1}{"b":2}', '\u0000')) },
  );
  return fc.record({
    path: segments.map((values) => operation.path.replace(/\{(\w+)\}/g, (_whole, name: string) => values[name] ?? 'x')),
    query,
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/json; charset=utf-16', undefined) },
    ),
    body: fc.oneof({ weight: 9, arbitrary: body }, { weight: 1, arbitrary: fc.constant(undefined) }),
    authorization: fc.oneof(
      { weight: 4, arbitrary: fc.constant('valid') },
      { weight: 2, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: headerText.map((text) => `Bearer ${text}`) },
      { weight: 1, arbitrary: headerText },
    ),
    origin: fc.option(fc.constantFrom('https://evil.example.net', 'null', 'https://chat.example.com'), { freq: 4 }),
  });
}

interface OpApiCase {
  method: 'POST' | 'GET' | 'PUT';
  query: string;
  encoding: 'json' | 'relaxed' | 'form' | 'form-json' | 'multipart' | 'text' | 'none' | 'raw';
  fields: Record<string, unknown>;
  raw: string;
  origin: string | undefined;
}

const OP_FIELDS = ['phone', 'appid', 'otp', 'code', 'email', 'password', 'token', 'name', 'device', 'dt'];

const opApiFields: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('login', 'logout', 'LOGIN', ' Login ', 'getcontacts', 'profile', 'upload') },
      { weight: 2, arbitrary: junkValue },
    ),
    fc.record(Object.fromEntries(OP_FIELDS.map((name) => [name, fieldValue(name)])), { requiredKeys: [] }),
    fc.dictionary(junkKey, junkValue, { maxKeys: 3 }),
    fc.nat(3),
  )
  .map(([op, known, extra, pick]) => ({ op, ...known, ...(pick === 0 ? extra : {}) }));

const opApiCase: fc.Arbitrary<OpApiCase> = fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST' as const) }, { weight: 2, arbitrary: fc.constantFrom('GET' as const, 'PUT' as const) }),
  query: fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.dictionary(urlPart(fc.constantFrom('op', 'phone', 'appid', 'otp', 'token', 'x')), urlPart(junkValue), { maxKeys: 3 }).map(toQuery) },
  ),
  encoding: fc.constantFrom('json', 'json', 'json', 'relaxed', 'form', 'form-json', 'multipart', 'text', 'none', 'raw'),
  fields: opApiFields,
  raw: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), unicodeJunk, fc.constantFrom('{op: login', '{"op":"login"', 'op=login&op=logout', '--x\r\n', '\u0000{}', '[]', '"login"')),
  origin: fc.option(fc.constantFrom('https://evil.example.net', 'null'), { freq: 4 }),
});

function toQuery(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function formOf(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(formValue(value))}`)
    .join('&');
}

function multipartOf(fields: Record<string, unknown>, boundary: string): string {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '_')}"\r\n\r\n${formValue(value)}\r\n`,
  );
  return `${parts.join('')}--${boundary}--\r\n`;
}

/** The body and its Content-Type for an op API case; a Buffer, so nothing adds a type of its own. */
function opApiBody(c: OpApiCase): { type: string | undefined; body: Buffer } {
  const boundary = 'fuzzBoundary7MA4YWxk';
  switch (c.encoding) {
    case 'json':
      return { type: 'application/json', body: Buffer.from(toJson(c.fields)) };
    case 'relaxed':
      return { type: 'application/json', body: Buffer.from(toRelaxed(c.fields)) };
    case 'form':
      return { type: 'application/x-www-form-urlencoded', body: Buffer.from(formOf(c.fields)) };
    case 'form-json':
      return { type: 'application/x-www-form-urlencoded', body: Buffer.from(toJson(c.fields)) };
    case 'multipart':
      return { type: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(multipartOf(c.fields, boundary)) };
    case 'text':
      return { type: 'text/plain', body: Buffer.from(toJson(c.fields)) };
    case 'none':
      return { type: undefined, body: Buffer.from(toJson(c.fields)) };
    case 'raw':
      return { type: 'application/json', body: Buffer.from(c.raw) };
  }
}

// ---------------------------------------------------------------------------------------------

describe('fuzzing every route: no 5xx, no INTERNAL, no internal detail', () => {
  let t: TestApp;
  let operations: Operation[];
  let token = '';

  beforeAll(async () => {
    t = await startTestApp({
      CORS_ORIGINS: 'https://chat.example.com',
      // Cheap password hashing, and send limits that let the fuzz get past the first step.
      PASSWORD_MEMORY_KIB: '8192',
      PASSWORD_TIME_COST: '1',
      OTP_MAX_SENDS_PER_IP_PER_WINDOW: '100000',
      // Login methods from the registry, so their operations are in the document too.
      USERNAME_LOGIN: 'true',
      USERNAME_SELF_REGISTRATION: 'true',
      TICKET_LOGIN_SECRET: 'fuzz-ticket-secret-0123456789-0123456789',
    });
    const document = (await request(t.url).get('/docs/openapi.json').expect(200)).body as OpenApiDocument;
    operations = operationsOf(document);
    // A live session, so the routes behind a bearer token are reached.
    const phone = '18005559999';
    await request(t.url).post('/').send({ op: 'login', phone, appid: APPID }).expect(200);
    const login = await request(t.url).post('/').send({ op: 'login', phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) });
    token = (login.body as { token: string }).token;
    expect(token).toBeTruthy();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Sends, then checks; a failing case reports the request, so it can be replayed by hand. */
  async function check(describeCase: string, send: () => request.Test, opApi: boolean): Promise<void> {
    const logged = t.logs.lines.length;
    const res = await send().ok(() => true);
    const reply: Reply = { status: res.status, text: res.text ?? '', body: res.body as unknown };
    const problems = problemsOf(reply, opApi);
    if (problems.length > 0) {
      const log = t.logs.lines.slice(logged).join('\n').slice(0, 3000);
      throw new Error(`${problems.join(', ')}\nrequest: ${describeCase.slice(0, 2000)}\nreply ${reply.status}: ${reply.text.slice(0, 2000)}\nlog: ${log}`);
    }
  }

  it('the OpenAPI document lists the REST routes', () => {
    expect(operations.length).toBeGreaterThan(10);
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(['post /v1/auth/otp', 'post /v1/auth/otp/verify', 'get /v1/me', 'post /v1/auth/username/login', 'post /v1/auth/ticket/login', 'post /v1/auth/email/login']));
  });

  it('every operation of the OpenAPI document', async () => {
    let started = Date.now();
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(restCase(operation), async (c) => {
          const url = `${c.path}${c.query ? `?${c.query}` : ''}`;
          await check(
            `${operation.method.toUpperCase()} ${url} type=${c.contentType} auth=${c.authorization} origin=${c.origin} body=${c.body}`,
            () => {
              let req = request(t.url)[operation.method](url);
              if (c.contentType) req = req.set('Content-Type', c.contentType);
              if (c.authorization === 'valid') req = req.set('Authorization', `Bearer ${token}`);
              else if (c.authorization !== 'none') req = req.set('Authorization', c.authorization);
              if (c.origin) req = req.set('Origin', c.origin);
              return c.body === undefined ? req : req.send(Buffer.from(c.body));
            },
            false,
          );
        }),
        { seed: SEED, numRuns: runs(100), endOnFailure: true },
      );
      if (process.env.FUZZ_TIMING) console.log(`${operation.method} ${operation.path}: ${Date.now() - started} ms`);
      started = Date.now();
    }
  }, 150_000);

  it('POST / and GET /: the op API in every encoding', async () => {
    await fc.assert(
      fc.asyncProperty(opApiCase, async (c) => {
        const { type, body } = opApiBody(c);
        const url = `/${c.query ? `?${c.query}` : ''}`;
        await check(
          `${c.method} ${url} encoding=${c.encoding} type=${type} origin=${c.origin} body=${body.toString('utf8')}`,
          () => {
            let req = c.method === 'GET' ? request(t.url).get(url) : request(t.url)[c.method === 'PUT' ? 'put' : 'post'](url);
            if (c.origin) req = req.set('Origin', c.origin);
            if (c.method === 'GET') return req;
            if (type) req = req.set('Content-Type', type);
            return req.send(body);
          },
          true,
        );
      }),
      { seed: SEED, numRuns: runs(1200), endOnFailure: true },
    );
  }, 150_000);

  it('GET / with any query string', async () => {
    const query = fc.dictionary(
      urlPart(fc.oneof(fc.constantFrom('op', 'phone', 'appid', 'otp', 'code', 'token', 'email', 'password', 'name'), junkKey)),
      urlPart(fieldValue('op')),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(query, async (values) => {
        const url = `/?${toQuery(values)}`;
        await check(`GET ${url}`, () => request(t.url).get(url), true);
      }),
      { seed: SEED, numRuns: runs(300), endOnFailure: true },
    );
  }, 60_000);
});
