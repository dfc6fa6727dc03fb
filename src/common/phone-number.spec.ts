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

  describe('with a default region, international digits stay international; only national forms use the region', () => {
    it.each([
      // region, international digits as the apps send them, a national form of the same number
      ['DE', '4915123456789', '015123456789'],
      ['DE', '493012345678', '030 12345678'],
      ['US', '14155550123', '(415) 555-0123'],
      ['IN', '919876543210', '09876543210'],
      ['GB', '447911123456', '07911 123456'],
      ['GB', '442079460958', '020 7946 0958'],
      ['FR', '33612345678', '06 12 34 56 78'],
      ['AU', '61412345678', '0412 345 678'],
    ])('%s: %s, and its national form', (region, international, national) => {
      expect(normalizePhone(international, region)).toBe(international);
      expect(normalizePhone(`+${international}`, region)).toBe(international);
      expect(normalizePhone(national, region)).toBe(international);
    });

    it.each([
      ['IN', '9876543210', '919876543210'],
      ['FR', '612345678', '33612345678'],
      ['AU', '412345678', '61412345678'],
    ])('%s: a national number without its leading 0 (%s) is read in the region', (region, national, expected) => {
      expect(normalizePhone(national, region)).toBe(expected);
    });

    it('reads another country\'s international digits as international in any region', () => {
      expect(normalizePhone('4915123456789', 'US')).toBe('4915123456789');
      expect(normalizePhone('14155550123', 'DE')).toBe('14155550123');
    });

    it('refuses a national form that is not valid in the region', () => {
      expect(() => normalizePhone('0123', 'DE')).toThrow(InvalidPhoneError);
      expect(() => normalizePhone('015123456789')).toThrow(InvalidPhoneError);
    });
  });

  it.each(['', 'abc', '12', '+1 800 555 12345678901', '1800555123x', '+999 1234 5678', '0000000000'])(
    'refuses %p',
    (input) => {
      expect(() => normalizePhone(input)).toThrow(InvalidPhoneError);
    },
  );
});
