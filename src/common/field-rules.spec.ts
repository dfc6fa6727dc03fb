import { validateSync } from 'class-validator';
import { characterProblem, FIELD_RULES, ruleFor, textProblem } from './field-rules';
import { bodyLimitBytes, inspectInput, secretsInQuery } from './input-guards';
import { TextField } from './text-field.decorator';

describe('field rules', () => {
  it.each([
    ['NUL', 'a\u0000b', /NUL/],
    ['a lone high surrogate', '\ud800@example.com', /lone surrogate/],
    ['a lone low surrogate', 'x\udc00', /lone surrogate/],
    ['a reversed pair', '\udc00\ud800', /lone surrogate/],
    ['a bell', 'a\u0007', /control/],
    ['a newline', 'a\nb', /control/],
    ['a C1 control', 'a\u0085', /control/],
  ])('a one-line field refuses %s', (_label, value, reason) => {
    expect(characterProblem(value, 'line')).toMatch(reason);
  });

  it.each(['18005551234', 'com.mesibo.firstapp', 'Ann Müller', '😀 emoji pair', 'e\u0301'])('a one-line field accepts %p', (value) => {
    expect(characterProblem(value, 'line')).toBeUndefined();
  });

  it('free text (passwords) takes tabs and newlines, never NUL or lone surrogates', () => {
    expect(characterProblem('pass\tword\n', 'text')).toBeUndefined();
    expect(characterProblem('pass\u0000', 'text')).toMatch(/NUL/);
    expect(characterProblem('pass\ud800', 'text')).toMatch(/lone surrogate/);
  });

  it('bounds lengths: 255 for appid, device and name; other fields have a rule too', () => {
    for (const field of ['appid', 'device', 'name'] as const) {
      expect(textProblem('x'.repeat(255), FIELD_RULES[field])).toBeUndefined();
      expect(textProblem('x'.repeat(256), FIELD_RULES[field])).toBe('must be at most 255 characters long');
    }
    expect(textProblem('x'.repeat(1025), ruleFor('photo'))).toMatch(/at most 1024/);
    expect(ruleFor('__proto__')).toBe(ruleFor('anything'));
  });

  it('never repeats the value in its reason (it may be a secret)', () => {
    expect(textProblem('secret\u0000', FIELD_RULES.password)).not.toContain('secret');
  });
});

describe('TextField: the same rule on a REST DTO', () => {
  class Dto {
    @TextField('appid')
    appid!: unknown;
  }
  const errorsOf = (appid: unknown) => validateSync(Object.assign(new Dto(), { appid })).flatMap((e) => Object.values(e.constraints ?? {}));

  it('accepts a good value', () => {
    expect(errorsOf('com.example.app')).toEqual([]);
  });

  it.each([
    ['x'.repeat(256), 'appid must be at most 255 characters long'],
    ['a\u0000', 'appid must not contain NUL characters'],
    ['\udfff', 'appid must be valid Unicode (no lone surrogates)'],
  ])('refuses %j with a message naming the field', (value, message) => {
    expect(errorsOf(value)).toEqual([message]);
  });

  it('leaves non-strings to IsString', () => {
    expect(errorsOf(42)).toEqual(['appid must be a string']);
  });
});

describe('input guards', () => {
  const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

  it('finds nesting deeper than the limit without recursing', () => {
    expect(inspectInput({ a: nested(15) })).toBeUndefined();
    expect(inspectInput({ a: nested(16) })).toEqual({ kind: 'too_deep' });
    expect(inspectInput(nested(200_000))).toEqual({ kind: 'too_deep' });
  });

  it('finds NUL and lone surrogates in values and keys, naming the field', () => {
    expect(inspectInput({ user: { name: 'a\u0000' } })).toEqual({ kind: 'malformed_text', field: 'user.name', reason: expect.stringMatching(/NUL/) });
    expect(inspectInput({ ['\ud800']: 'x' })).toEqual({ kind: 'malformed_text', field: 'a field name', reason: expect.stringMatching(/surrogate/) });
    expect(inspectInput({ password: 'tab\tis fine' })).toBeUndefined();
  });

  it('names secrets in a query, any case, but lets a provider callback have its code', () => {
    expect(secretsInQuery('/v1/me', { token: 'x', Password: 'y', op: 'login' })).toEqual(['token', 'Password']);
    expect(secretsInQuery('/v1/auth/oidc/google/callback', { code: 'c', state: 's' })).toEqual([]);
    expect(secretsInQuery('/v1/auth/oidc/google/callback', { code: 'c', token: 't' })).toEqual(['token']);
    expect(secretsInQuery('/v1/auth/otp/verify', { code: 'c' })).toEqual(['code']);
  });

  it.each([
    ['100kb', 102400],
    ['1mb', 1048576],
    ['512', 512],
    ['10B', 10],
  ])('reads BODY_LIMIT %s as %i bytes', (limit, bytes) => {
    expect(bodyLimitBytes(limit)).toBe(bytes);
  });
});
