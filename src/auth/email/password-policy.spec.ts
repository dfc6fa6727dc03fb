import { WeakPasswordError } from '../../common/errors';
import { assertAcceptablePassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy';

/** The error `assertAcceptablePassword` throws; fails the test when it accepts the password. */
function refusalOf(password: string, email?: string): WeakPasswordError {
  try {
    assertAcceptablePassword(password, email);
  } catch (error) {
    expect(error).toBeInstanceOf(WeakPasswordError);
    return error as WeakPasswordError;
  }
  throw new Error(`expected ${JSON.stringify(password)} to be refused, but it was accepted`);
}

/** `count` characters of a string that is not a common password (nor made of one repeated word). */
function ofLength(count: number): string {
  const alphabet = 'zq8xk2mvtr7wbn4hjy';
  return Array.from({ length: count }, (_, i) => alphabet[(i * 7 + Math.floor(i / alphabet.length)) % alphabet.length]).join('');
}

// One code point outside the Basic Multilingual Plane: 2 UTF-16 units, 4 UTF-8 bytes.
const EMOJI = '\u{1F600}';

describe('assertAcceptablePassword', () => {
  it('uses the NIST bounds of 8 and 128 characters', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(MAX_PASSWORD_LENGTH).toBe(128);
  });

  describe('length', () => {
    it('accepts 8 characters and refuses 7', () => {
      expect(() => assertAcceptablePassword(ofLength(8))).not.toThrow();

      const error = refusalOf(ofLength(7));
      expect(error.code).toBe('weak_password');
      expect(error.message).toBe('The password must have at least 8 characters.');
    });

    it('accepts 128 characters and refuses 129', () => {
      expect(() => assertAcceptablePassword(ofLength(128))).not.toThrow();

      const error = refusalOf(ofLength(129));
      expect(error.code).toBe('weak_password');
      expect(error.message).toBe('The password must have at most 128 characters.');
    });

    it('counts Unicode characters, not UTF-16 units or bytes: 8 emoji are 8 characters', () => {
      const eight = EMOJI.repeat(8);
      expect(eight).toHaveLength(16);
      expect(Buffer.byteLength(eight, 'utf8')).toBe(32);
      expect(() => assertAcceptablePassword(eight)).not.toThrow();

      // 14 UTF-16 units would pass a check on `.length`; 7 characters must not.
      expect(refusalOf(EMOJI.repeat(7)).message).toMatch(/at least 8/);
    });

    it('counts Unicode characters at the upper bound too: 128 emoji pass, 129 do not', () => {
      // 256 UTF-16 units and 512 bytes, but 128 characters.
      expect(() => assertAcceptablePassword(EMOJI.repeat(128))).not.toThrow();
      expect(refusalOf(EMOJI.repeat(129)).message).toMatch(/at most 128/);
    });
  });

  describe('composition', () => {
    it.each(['correct horse battery staple', 'tulipsgrowundertheoldoakbridge', 'quietlanternhill'])(
      'has no composition rules: the all-lowercase %j is accepted',
      (password) => {
        expect(() => assertAcceptablePassword(password)).not.toThrow();
      },
    );

    it('accepts digits only and symbols only when they are not common', () => {
      expect(() => assertAcceptablePassword('90417362518')).not.toThrow();
      expect(() => assertAcceptablePassword('#%&!@^*(;:')).not.toThrow();
    });
  });

  describe('common passwords', () => {
    it.each(['password', 'Password', 'PASSWORD', '12345678', 'qwertyuiop', 'QwertyUIOP', 'iloveyou', 'ILoveYou'])(
      'refuses %j, whatever its case',
      (password) => {
        const error = refusalOf(password);
        expect(error.code).toBe('weak_password');
        expect(error.message).toBe('This password is too common; choose another.');
      },
    );
  });

  describe('the email address', () => {
    const email = 'ada.lovelace@example.com';

    it('refuses the email address itself, in any case', () => {
      expect(refusalOf(email, email).message).toBe('The password must not be your email address.');
      expect(refusalOf('Ada.Lovelace@Example.COM', email).message).toBe('The password must not be your email address.');
    });

    it('refuses the local part of the address, in any case', () => {
      expect(refusalOf('ada.lovelace', email).message).toBe('The password must not be your email address.');
      expect(refusalOf('ADA.LOVELACE', email).message).toBe('The password must not be your email address.');
    });

    it('accepts the same strings for another address, and when no address is given', () => {
      expect(() => assertAcceptablePassword('ada.lovelace', 'charles.babbage@example.com')).not.toThrow();
      expect(() => assertAcceptablePassword('ada.lovelace')).not.toThrow();
      expect(() => assertAcceptablePassword(email)).not.toThrow();
    });

    it('accepts a password that merely contains the local part', () => {
      expect(() => assertAcceptablePassword('ada.lovelace wrote the first program', email)).not.toThrow();
    });
  });
});
