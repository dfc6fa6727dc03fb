import { InvalidPhoneError } from './errors';
import { normalizePhone } from './phone-number';

describe('normalizePhone', () => {
  it('accepts the example number of the mesibo documentation as sent by the apps', () => {
    expect(normalizePhone('18005551234')).toBe('18005551234');
  });

  it.each([
    ['+1 (800) 555-1234', '18005551234'],
    ['001 800 555 1234', '18005551234'],
    ['+91 98765 43210', '919876543210'],
    ['919876543210', '919876543210'],
    ['  +44 20 7946 0958 ', '442079460958'],
  ])('normalizes %p to %p', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it('reads a national number in the default region', () => {
    expect(normalizePhone('(800) 555-1234', 'US')).toBe('18005551234');
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('442079460958');
  });

  it('still reads an international number when a default region is set', () => {
    expect(normalizePhone('919876543210', 'US')).toBe('919876543210');
  });

  it.each(['', 'abc', '12', '+1 800 555 12345678901', '1800555123x', '+999 1234 5678', '0000000000'])(
    'refuses %p',
    (input) => {
      expect(() => normalizePhone(input)).toThrow(InvalidPhoneError);
    },
  );
});
