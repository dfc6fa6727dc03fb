import { isCodeProvenAddress } from '../../users/users.service';
import { newUsername, normalizeUsername } from './username';

describe('normalizeUsername', () => {
  it.each([
    ['ada', 'ada'],
    ['  Ada.Lovelace ', 'ada.lovelace'],
    ['a_b-c', 'a_b-c'],
    ['r2d2', 'r2d2'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('reads %j as %j', (raw, expected) => {
    expect(normalizeUsername(raw)).toBe(expected);
  });

  it.each([
    ['ab', 'too short'],
    ['x'.repeat(65), 'too long'],
    ['123456789', 'digits only: a phone number'],
    ['ada@example.com', 'an email address'],
    ['.ada', 'a dot first'],
    ['ada-', 'a dash last'],
    ['ad a', 'a space inside'],
    ['аdа', 'Cyrillic look-alikes'],
    ['ａｄａ', 'full-width letters'],
    ['ada\u200b', 'a zero-width space'],
    ['ada:1', 'a colon, which other methods use in addresses'],
  ])('refuses %j (%s)', (raw) => {
    expect(normalizeUsername(raw)).toBeUndefined();
    expect(() => newUsername(raw)).toThrow('The username is not valid');
  });

  it('never yields an address that phone or email logins prove', () => {
    for (const raw of ['0', '18005551234', 'a@b', 'ada', 'r2d2', '1a']) {
      const username = normalizeUsername(raw);
      if (username !== undefined) expect(isCodeProvenAddress(username)).toBe(false);
    }
  });
});
