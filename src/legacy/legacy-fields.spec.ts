import { InvalidRequestError } from '../common/errors';
import { LegacyBodyError, LegacyRequest, parseForm, parseRelaxedJson } from './legacy-body.parser';
import { readLegacyCall } from './legacy-fields';

function request(body: unknown, query: Record<string, unknown> = {}, legacyBodyError?: LegacyBodyError): LegacyRequest {
  return { body, query, legacyBodyError } as unknown as LegacyRequest;
}

/** The InvalidRequestError a read throws; fails the test when it returns. */
function invalidRequestOf(req: LegacyRequest): InvalidRequestError {
  try {
    readLegacyCall(req);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected the request to be refused');
}

describe('parseRelaxedJson', () => {
  it('reads strict JSON', () => {
    expect(parseRelaxedJson('{"op":"login","phone":"18005551234","dt":1}')).toEqual({ op: 'login', phone: '18005551234', dt: 1 });
  });

  it('reads the relaxed syntax of the mesibo docs: unquoted keys', () => {
    expect(parseRelaxedJson('{op: "login", phone: "18005551234", appid: "com.messenger.appid"}')).toEqual({
      op: 'login',
      phone: '18005551234',
      appid: 'com.messenger.appid',
    });
  });

  it('reads single quotes and a trailing comma', () => {
    expect(parseRelaxedJson("{op: 'login', phone: '18005551234',}")).toEqual({ op: 'login', phone: '18005551234' });
  });

  it.each(['', '   ', '\n\t'])('reads an empty body %p as an empty object', (body) => {
    expect(parseRelaxedJson(body)).toEqual({});
  });

  it.each(['garbage', '{op: login', 'op=login&phone=1', '{"op": "login"} trailing'])('returns undefined for %p', (body) => {
    expect(parseRelaxedJson(body)).toBeUndefined();
  });
});

describe('parseForm', () => {
  it('reads urlencoded fields', () => {
    expect(parseForm('op=login&phone=%2B18005551234&name=Ann+M')).toEqual({ op: 'login', phone: '+18005551234', name: 'Ann M' });
  });

  it('reads a JSON object labelled as a form (curl --data without a type), strict or relaxed', () => {
    expect(parseForm('{"op":"logout","token":"abc"}')).toEqual({ op: 'logout', token: 'abc' });
    expect(parseForm(" {op: 'logout', token: 'abc'}")).toEqual({ op: 'logout', token: 'abc' });
  });

  it('reads a form whose first field merely starts with a brace as a form', () => {
    expect(parseForm('{op=login')).toEqual({ '{op': 'login' });
  });

  it('keeps repeated names as arrays, for the field reader to refuse', () => {
    expect(parseForm('op=login&op=logout')).toEqual({ op: ['login', 'logout'] });
  });
});

describe('readLegacyCall', () => {
  it('returns the op and the fields', () => {
    expect(readLegacyCall(request({ op: 'login', phone: '18005551234', appid: 'com.messenger.appid' }))).toEqual({
      op: 'login',
      fields: { op: 'login', phone: '18005551234', appid: 'com.messenger.appid' },
    });
  });

  it('trims and lowercases the op and trims the fields', () => {
    const call = readLegacyCall(request({ op: '  LogIn ', phone: ' 18005551234\n' }));

    expect(call.op).toBe('login');
    expect(call.fields.phone).toBe('18005551234');
  });

  it('turns numbers and booleans into strings', () => {
    const call = readLegacyCall(request({ op: 'login', dt: 12, code: 123456, flag: true, off: false }));

    expect(call.fields).toMatchObject({ dt: '12', code: '123456', flag: 'true', off: 'false' });
  });

  it('skips null fields', () => {
    expect(readLegacyCall(request({ op: 'login', name: null })).fields).toEqual({ op: 'login' });
  });

  it('reads fields from the query too', () => {
    expect(readLegacyCall(request({}, { op: 'login', phone: '18005551234' }))).toEqual({
      op: 'login',
      fields: { op: 'login', phone: '18005551234' },
    });
  });

  it('lets body fields win over query fields', () => {
    const call = readLegacyCall(request({ op: 'login', phone: '18005551234' }, { op: 'logout', phone: '1', appid: 'q' }));

    expect(call.op).toBe('login');
    expect(call.fields).toEqual({ op: 'login', phone: '18005551234', appid: 'q' });
  });

  it.each<[string, unknown]>([
    ['an array', [{ op: 'login' }]],
    ['a number', 42],
    ['a string', 'op=login'],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s as the body', (_label, body) => {
    invalidRequestOf(request(body, { op: 'login' }));
  });

  it('refuses nested objects and arrays in fields, naming them', () => {
    const error = invalidRequestOf(request({ op: 'login', user: { phone: '1' }, tags: ['a'] }));

    expect(error.details).toEqual(expect.arrayContaining(['user must be a string', 'tags must be a string']));
    expect(error.details).toHaveLength(2);
  });

  it('refuses an array in a query field', () => {
    expect(invalidRequestOf(request({}, { op: ['login', 'logout'] })).details).toEqual(['op must be a string']);
  });

  it.each<[string, Record<string, unknown>]>([
    ['missing', { phone: '18005551234' }],
    ['empty', { op: '' }],
    ['blank', { op: '   ' }],
    ['null', { op: null }],
  ])('refuses an op that is %s', (_label, body) => {
    expect(invalidRequestOf(request(body)).message).toMatch(/op/);
  });

  it.each<[string, string]>([
    ['NUL in appid', 'com.app\u0000'],
    ['a lone surrogate in email', '\ud800@example.com'],
    ['a control character in device', 'dev\u0007'],
  ])('refuses %s, without repeating the value', (_label, value) => {
    const field = _label.split(' ').pop()!;
    const error = invalidRequestOf(request({ op: 'login', [field]: value }));

    expect(error.details).toEqual([expect.stringMatching(new RegExp(`^${field} must`))]);
    expect(error.details.join(' ')).not.toContain(value);
  });

  it.each([
    ['name', 255],
    ['device', 255],
    ['appid', 255],
    ['otp', 16],
    ['phone', 32],
  ])('bounds %s at %i characters, as the REST DTOs do', (field, max) => {
    expect(readLegacyCall(request({ op: 'login', [field]: 'x'.repeat(max) })).fields[field]).toHaveLength(max);
    expect(invalidRequestOf(request({ op: 'login', [field]: 'x'.repeat(max + 1) })).details).toEqual([`${field} must be at most ${max} characters long`]);
  });

  it('bounds fields no rule names, and refuses bad field names without echoing them', () => {
    expect(invalidRequestOf(request({ op: 'login', photo: 'x'.repeat(1025) })).details).toEqual(['photo must be at most 1024 characters long']);
    expect(invalidRequestOf(request({ op: 'login', 'a\u0000b': '1' })).details).toEqual(['a field is not a field name (bad characters)']);
  });

  it('refuses more than 100 fields', () => {
    const body = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, '1']));
    expect(invalidRequestOf(request({ ...body, op: 'login' })).message).toMatch(/more than 100 fields/);
  });

  it.each(['otp', 'code', 'password', 'token', 'Token'])('refuses %s in the query string: URLs end up in logs', (name) => {
    const error = invalidRequestOf(request({ op: 'login' }, { [name]: '123456' }));

    expect(error.message).toMatch(/never in the URL/);
    expect(error.details).toEqual([`${name} must not be in the URL`]);
  });

  it.each<[LegacyBodyError, RegExp]>([
    ['too_large', /too large/],
    ['malformed', /not valid/],
    ['file', /Files are not accepted/],
  ])('refuses a body the parser marked %s, even with usable fields', (kind, message) => {
    expect(invalidRequestOf(request({ op: 'login' }, { op: 'login' }, kind)).message).toMatch(message);
  });
});
