import { OpenAPIObject } from '@nestjs/swagger';
import { ExampleObject, OperationObject, ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { LoginMethodDefinition } from '../auth/methods/login-method';
import { ruleFor } from '../common/field-rules';
import { domainFailReply, failReply, LegacyReply, okReply } from '../legacy/legacy-envelope';
import { DOMAIN_ERROR_CODES, ERROR_EXAMPLES } from './error-examples';

export const OP_API_TAG = 'op API (released apps)';

/** The one clock reading of every example reply. */
const EXAMPLE_MS = 1_767_225_600_000;

/**
 * Replies of the op API that no domain error makes: an op it does not serve (LegacyController) and a
 * failure nobody foresaw (LegacyExceptionFilter). Every other `error` comes from the mapping of
 * domain errors in src/legacy/legacy-envelope.ts.
 */
const OTHER_FAILURES: readonly LegacyReply[] = [
  failReply('nosuch', EXAMPLE_MS, 'BADOP', 'This operation is not supported.'),
  failReply('login', EXAMPLE_MS, 'INTERNAL', 'Something went wrong on the server. Try again.'),
];

/** Every failure reply the op API can send, one per `error`, with the domain codes each one stands for. */
function failures(): Array<{ reply: LegacyReply; domainCodes: string[] }> {
  const byError = new Map<string, { reply: LegacyReply; domainCodes: string[] }>();
  for (const code of DOMAIN_ERROR_CODES) {
    const reply = domainFailReply('login', EXAMPLE_MS, ERROR_EXAMPLES[code]);
    const error = String(reply.error);
    const known = byError.get(error);
    if (known) known.domainCodes.push(code);
    else byError.set(error, { reply, domainCodes: [code] });
  }
  for (const reply of OTHER_FAILURES) byError.set(String(reply.error), { reply, domainCodes: [] });
  return [...byError.values()];
}

/** The `error` values of the op API, as the document lists them. */
export function opApiErrorCodes(): string[] {
  return failures().map(({ reply }) => String(reply.error));
}

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });
const oneValue = (value: string): SchemaObject => ({ type: 'string', enum: [value] });

/** A field as the op API reads it: a string, within the length the shared field rules allow. */
function field(name: string, description: string, example?: string): SchemaObject {
  return { type: 'string', maxLength: ruleFor(name).maxLength, description, ...(example === undefined ? {} : { example }) };
}

const COMMON_FIELDS: Record<string, SchemaObject> = {
  appid: field('appid', 'The app id the mesibo token is for: the Android package name, the iOS bundle id', 'com.mesibo.firstapp'),
  dt: field('dt', 'Device type; the apps add it to every call (sent as a number by some)', '1'),
};
const LOGIN_DEVICE_FIELDS: Record<string, SchemaObject> = {
  device: field('device', 'A name for the device, shown in the list of sessions (Android and iOS send their device id)'),
  name: field('name', 'Display name of a new user, when the method proves none'),
};
// What tells the op API's logins apart (LegacyController): a code, and the fields of an email login.
const WITH_CODE: SchemaObject[] = [{ required: ['otp'] }, { required: ['code'] }];
const WITH_EMAIL_FIELDS: SchemaObject[] = [{ required: ['email'] }, { required: ['password'] }];

function phoneLogin(withCode: boolean): SchemaObject {
  return {
    type: 'object',
    description: withCode
      ? 'Logs in with the code sent to the phone: the reply carries the mesibo user token.'
      : 'Sends a code to the phone (by SMS); the reply is OK without a token, then send the code.',
    required: ['op', 'phone', 'appid'],
    properties: {
      op: oneValue('login'),
      method: { ...oneValue('phone'), description: 'May be left out: phone is the default' },
      phone: field('phone', 'The full international number; its digits become the mesibo address', '18005551234'),
      ...(withCode
        ? {
            otp: field('otp', 'The code the phone received', '123456'),
            code: field('code', 'The same, as apps before 2021 send it'),
          }
        : {}),
      ...COMMON_FIELDS,
      ...(withCode ? LOGIN_DEVICE_FIELDS : {}),
    },
    // Exactly one of the op's shapes: the code tells these two apart, and an email field makes it an email login.
    ...(withCode ? { anyOf: WITH_CODE, not: { anyOf: WITH_EMAIL_FIELDS } } : { not: { anyOf: [...WITH_CODE, ...WITH_EMAIL_FIELDS] } }),
  };
}

/** `{op:"login", method:"<name>", …}`: the method's REST body, with the fields every op API call has. The released apps' email login names no method. */
function methodLogin(method: LoginMethodDefinition): SchemaObject {
  const methodOptional = method.name === 'email';
  return {
    description: `${method.summary}. ${method.description ?? ''} Fields the method does not know are ignored.`.trim(),
    allOf: [
      ref(method.body.name),
      {
        type: 'object',
        required: methodOptional ? ['op'] : ['op', 'method'],
        properties: {
          op: oneValue('login'),
          method: { ...oneValue(method.name), description: methodOptional ? 'May be left out: an email or password field means email' : 'The login method' },
          name: LOGIN_DEVICE_FIELDS.name,
          dt: COMMON_FIELDS.dt,
        },
      },
    ],
  };
}

const LOGOUT: SchemaObject = {
  type: 'object',
  description: 'Ends the session of the token and revokes the token at mesibo. Always OK, also for an unknown token: Android signs out locally only on OK.',
  required: ['op'],
  properties: {
    op: oneValue('logout'),
    token: field('token', 'The mesibo user token a login returned'),
    dt: COMMON_FIELDS.dt,
  },
};

const DELETE_ACCOUNT: SchemaObject = {
  type: 'object',
  description:
    'Deletes the account of the token for good, as DELETE /v1/me does: every session ends and its token is revoked at mesibo, the user and their logins go, and the mesibo user is deleted. The session must be a recent login (RECENT_PROOF_SECONDS), else REAUTHREQUIRED: log in again first. An unknown or ended token is AUTHFAIL.',
  required: ['op', 'token'],
  properties: {
    op: oneValue('deleteaccount'),
    token: field('token', 'The mesibo user token of a recent login'),
    dt: COMMON_FIELDS.dt,
  },
};

const TIME: SchemaObject = { type: 'integer', description: 'Server time, in seconds since 1970', example: EXAMPLE_MS / 1000 };
const okOf = (op: string): Record<string, SchemaObject> => ({ op: oneValue(op), ts: TIME, result: oneValue('OK') });

const LOGGED_IN: SchemaObject = {
  type: 'object',
  description: 'Logged in: start mesibo with `token`.',
  required: ['op', 'ts', 'result', 'token', 'phone', 'urls', 'share', 'invite'],
  properties: {
    ...okOf('login'),
    token: { type: 'string', description: 'The mesibo user access token (opaque)' },
    phone: { type: 'string', description: "The user's own address, which the apps keep: the number for a phone login, else the mesibo address" },
    urls: { type: 'object', required: ['upload', 'download'], properties: { upload: { type: 'string' }, download: { type: 'string' } } },
    share: {
      type: 'object',
      description: 'Texts of the Share menu (Android crashes there if it never received them)',
      required: ['text', 'subject', 'title'],
      properties: { text: { type: 'string' }, subject: { type: 'string' }, title: { type: 'string' } },
    },
    invite: { type: 'string', description: 'The invite text, as iOS reads it' },
  },
};

function failureSchema(): SchemaObject {
  const table = failures()
    .map(({ reply, domainCodes }) => `- \`${String(reply.error)}\`${domainCodes.length ? `: REST \`code\` ${domainCodes.map((code) => `\`${code}\``).join(', ')}` : ''}`)
    .join('\n');
  return {
    type: 'object',
    description: 'Failed: `error` says why, `errmsg` says it to the user.',
    required: ['op', 'ts', 'result', 'error'],
    properties: {
      op: { type: 'string', description: 'The op of the request, trimmed and lowercased; empty when there was none' },
      ts: TIME,
      result: oneValue('FAIL'),
      error: { type: 'string', enum: opApiErrorCodes(), description: `Stable; the apps branch on it. Each stands for these codes of the REST API:\n${table}` },
      errmsg: { type: 'string', description: 'For people; safe to show, never a secret' },
      state: { type: 'string', description: 'With CHALLENGE: send it back with the `response`' },
      challenge: { type: 'string', description: 'With CHALLENGE: the prompt to show' },
    },
  };
}

const DESCRIPTION = `The protocol of the original PHP backend, which the released Android, iOS and web apps speak: one URL, the operation in \`op\`.

**Every reply is HTTP 200 with \`application/json\`, failures included.** \`result\` is \`"OK"\` or \`"FAIL"\` (strings); a failure carries \`error\`, a stable code, and \`errmsg\`, for the user. Some failures add a header: \`RATELIMITED\` sets \`Retry-After\`, \`NEGOTIATE\` sets \`WWW-Authenticate: Negotiate\`, and a body over BODY_LIMIT is answered (\`BADREQUEST\`) without being read, closing the connection. The only answers of this URL that are not 200 are not op replies: a CORS preflight (\`OPTIONS /\`) gets 204, and while the API docs are on, a browser that opens \`GET /\` with no parameters is redirected (302) to /docs/.

**Bodies.** Send JSON with \`Content-Type: application/json\`. A body that is a JSON object is read as one whatever its type: \`text/plain\` (as browsers send it, to skip a preflight), a form type (what \`curl --data\` sends) or none; the relaxed syntax of mesibo's docs (\`{op: "login"}\`) is read too. Urlencoded and multipart form fields are read as fields; files are refused. Query parameters count as fields (old web builds called \`GET /?op=…\`), but \`login\` and \`logout\` must be POSTs, and \`otp\`, \`code\`, \`password\` and \`token\` are refused in a URL. Every value is a string within its length (numbers and booleans are read as strings); \`op\` is trimmed and case-insensitive; fields an op does not know are ignored. An op this backend does not serve answers \`BADOP\`.`;

/** The op API at `POST /`, under its own tag: one operation, its request and reply shapes with examples. */
export function addOpApi(document: OpenAPIObject, methods: readonly LoginMethodDefinition[]): void {
  const requestSchemas: Record<string, SchemaObject> = {
    OpLoginRequestCode: phoneLogin(false),
    OpLoginWithCode: phoneLogin(true),
    ...Object.fromEntries(methods.map((method) => [`OpLogin_${method.name.replace(/-/g, '_')}`, methodLogin(method)])),
    OpLogout: LOGOUT,
    OpDeleteAccount: DELETE_ACCOUNT,
  };
  const replySchemas: Record<string, SchemaObject> = {
    OpReplyCodeSent: { type: 'object', description: 'A code was sent: ask the user for it.', required: ['op', 'ts', 'result'], properties: okOf('login'), not: { required: ['token'] } },
    OpReplyLoggedIn: LOGGED_IN,
    OpReplyLoggedOut: { type: 'object', description: 'Logged out (also for an unknown token).', required: ['op', 'ts', 'result'], properties: okOf('logout') },
    OpReplyAccountDeleted: { type: 'object', description: 'The account is deleted: sign out.', required: ['op', 'ts', 'result'], properties: okOf('deleteaccount') },
    OpReplyFailure: failureSchema(),
  };
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...requestSchemas, ...replySchemas } };
  const request: SchemaObject = { oneOf: Object.keys(requestSchemas).map(ref) };
  const requestExamples = requestExamplesOf(document, methods);
  const operation: OperationObject = {
    tags: [OP_API_TAG],
    operationId: 'op_api',
    summary: 'The op API of the released apps: login (code, then token; or any login method), logout and deleteaccount',
    description: DESCRIPTION,
    security: [],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: request, examples: requestExamples },
        'text/plain': {
          schema: { type: 'string', description: 'The same JSON object, labelled as text' },
          example: JSON.stringify(requestExamples.requestCode.value),
        },
        'application/x-www-form-urlencoded': { schema: request },
        'multipart/form-data': { schema: request },
      },
    },
    responses: {
      '200': {
        description: 'Every reply, OK or FAIL (see `result`)',
        content: { 'application/json': { schema: { oneOf: Object.keys(replySchemas).map(ref) }, examples: replyExamples() } },
      },
    },
  };
  document.paths['/'] = { post: operation };
  document.tags = [
    ...(document.tags ?? []),
    { name: OP_API_TAG, description: 'What the released Android, iOS and web apps call, unchanged from the original PHP backend: `POST /` with an `op`.' },
  ];
}

function requestExamplesOf(document: OpenAPIObject, methods: readonly LoginMethodDefinition[]): Record<string, ExampleObject> {
  const appid = 'com.mesibo.firstapp';
  const examples: Record<string, ExampleObject> = {
    requestCode: { summary: 'Send a code to a phone', value: { op: 'login', phone: '18005551234', appid, dt: '1' } },
    loginWithCode: { summary: 'Log in with the code', value: { op: 'login', phone: '18005551234', otp: '123456', appid, device: 'pixel-7a', dt: '1' } },
  };
  for (const method of methods) {
    const schema = document.components?.schemas?.[method.body.name] as SchemaObject | undefined;
    // Its required fields and those with an example.
    const fields = Object.entries(schema?.properties ?? {})
      .map(([name, property]) => [name, (property as SchemaObject).example ?? (schema?.required?.includes(name) ? '…' : undefined)] as const)
      .filter(([, example]) => example !== undefined);
    examples[`login_${method.name}`] = {
      summary: `Log in by ${method.name}`,
      value: { op: 'login', ...(method.name === 'email' ? {} : { method: method.name }), ...Object.fromEntries(fields), appid },
    };
  }
  examples.logout = { summary: 'Log out', value: { op: 'logout', token: '3f9a6c…', dt: '1' } };
  examples.deleteAccount = { summary: 'Delete the account (after a recent login)', value: { op: 'deleteaccount', token: '3f9a6c…', dt: '1' } };
  return examples;
}

function replyExamples(): Record<string, ExampleObject> {
  const examples: Record<string, ExampleObject> = {
    codeSent: { summary: 'A code was sent', value: okReply('login', EXAMPLE_MS) },
    loggedIn: {
      summary: 'Logged in',
      value: okReply('login', EXAMPLE_MS, {
        token: '3f9a6c…',
        phone: '18005551234',
        urls: { upload: 'https://s3.mesibo.com/api.php', download: 'https://appimages.mesibo.com/' },
        share: { text: 'Join me on this messenger: https://…', subject: 'Messenger', title: 'Invite a friend via' },
        invite: 'Join me on this messenger: https://…',
      }),
    },
    loggedOut: { summary: 'Logged out', value: okReply('logout', EXAMPLE_MS) },
    accountDeleted: { summary: 'Account deleted', value: okReply('deleteaccount', EXAMPLE_MS) },
  };
  for (const { reply } of failures()) examples[String(reply.error)] = { summary: String(reply.errmsg ?? reply.error), value: reply };
  return examples;
}
