import fc from 'fast-check';
import { InvalidRequestError } from '../../common/errors';
import { normalizeEmail } from './email-address';

function refusal(raw: string): unknown {
  try {
    return normalizeEmail(raw);
  } catch (error) {
    return error;
  }
}

describe('normalizeEmail', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['ALICE@Example.COM', 'alice@example.com'],
    ['  alice@example.com \t', 'alice@example.com'],
    ['alice@example.com\n', 'alice@example.com'],
    // The same domain, written in Unicode (upper or lower case) and in its ASCII form.
    ['alice@exämple.com', 'alice@xn--exmple-cua.com'],
    ['alice@EXÄMPLE.com', 'alice@xn--exmple-cua.com'],
    ['alice@XN--EXMPLE-CUA.com', 'alice@xn--exmple-cua.com'],
    // A decomposed ä (a + combining diaeresis) is the composed one.
    ['alice@exa\u0308mple.com', 'alice@xn--exmple-cua.com'],
    ['A\u0308lice@example.com', 'älice@example.com'],
    ['ada@例え.jp', 'ada@xn--r8jz45g.jp'],
    ['ada@ß.de', 'ada@xn--zca.de'],
  ])('reads %j as %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toBe(expected);
  });

  it('keeps look-alikes apart: accents and full-width letters are other addresses', () => {
    const alice = normalizeEmail('alice@example.com');
    for (const lookAlike of ['alice@exämple.com', 'alïce@example.com', 'ａlice@example.com', 'alice@example.co', 'alice@ss.de']) {
      expect(normalizeEmail(lookAlike)).not.toBe(alice);
    }
    expect(normalizeEmail('alice@ß.de')).not.toBe(normalizeEmail('alice@ss.de'));
  });

  it.each([
    ['NUL', 'ali\u0000ce@example.com'],
    ['a control character', 'ali\u0007ce@example.com'],
    ['DEL', 'alice\u007f@example.com'],
    ['a C1 control', 'alice@exam\u0085ple.com'],
    ['a line break inside', 'alice\n@example.com'],
    ['a soft hyphen', 'al\u00adice@example.com'],
    ['a zero-width joiner in the domain', 'alice@exa\u200dmple.com'],
    ['a right-to-left override', 'alice\u202e@example.com'],
    ['a lone high surrogate', '\ud800alice@example.com'],
    ['a lone low surrogate', 'alice@example.com\udc00x'],
    ['a full-width domain that IDNA would remap', 'alice@ｅxample.com'],
    ['an ideographic full stop', 'alice@example。com'],
    ['an invalid punycode label', 'alice@xn--zz.com'],
    ['an empty label', 'alice@example..com'],
    ['no domain', 'alice@'],
    ['no local part', '@example.com'],
    ['no @', 'alice.example.com'],
    ['spaces inside', 'ali ce@example.com'],
    ['no TLD', 'alice@localhost'],
    ['too long', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
    ['far too long', `${'a'.repeat(5000)}@example.com`],
    ['an empty string', '   '],
  ])('refuses %s with InvalidRequestError', (_why, raw) => {
    const error = refusal(raw);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe('The email address is not valid.');
  });

  it('refuses a non-string with InvalidRequestError', () => {
    expect(refusal(42 as unknown as string)).toBeInstanceOf(InvalidRequestError);
  });

  it('never throws anything but InvalidRequestError, and its result is a fixed point', () => {
    const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
    const addressLike = fc.tuple(anyText, anyText).map(([local, domain]) => `${local}@${domain}.com`);
    fc.assert(
      fc.property(fc.oneof(anyText, addressLike), (raw) => {
        let email: string;
        try {
          email = normalizeEmail(raw);
        } catch (error) {
          return error instanceof InvalidRequestError;
        }
        return normalizeEmail(email) === email && email === email.trim() && email === email.normalize('NFC') && !/[A-Z]/.test(email);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads any valid address in upper case with spaces around as the same address', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const canonical = refusal(email);
        if (typeof canonical !== 'string') return canonical instanceof InvalidRequestError;
        return normalizeEmail(`  ${email.toUpperCase()}\t`) === canonical && canonical === email.toLowerCase();
      }),
      { numRuns: 500 },
    );
  });
});
