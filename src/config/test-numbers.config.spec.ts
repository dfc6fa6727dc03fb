import { ConfigError } from './env';
import { isFictionalNumber, loadTestNumbersConfig } from './test-numbers.config';

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadTestNumbersConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('OTP_TEST_NUMBERS', () => {
  it('reads numbers, fixed codes and end dates (the end of that day, UTC)', () => {
    expect(loadTestNumbersConfig({ OTP_TEST_NUMBERS: '+12015550142:424242, 15555550100:535353:2027-06-30' }).numbers).toEqual([
      { phone: '12015550142', code: '424242', expiresAt: undefined },
      { phone: '15555550100', code: '535353', expiresAt: Date.UTC(2027, 5, 30, 23, 59, 59, 999) },
    ]);
    expect(loadTestNumbersConfig({}).numbers).toEqual([]);
  });

  it('refuses malformed entries, codes of another length and repeated numbers, without echoing a code', () => {
    const found = problems({ OTP_TEST_NUMBERS: '12015550142=424242,12015550143:4242,12015550144:987654:2027-13-45,12015550144:123456', OTP_LENGTH: '6' });
    expect(found).toEqual([
      expect.stringContaining('entry 1 must be <number>:<code>'),
      expect.stringContaining('entry 2: the code must have OTP_LENGTH (6) digits'),
      expect.stringContaining('2027-13-45 is not a date'),
      'OTP_TEST_NUMBERS lists 12015550144 twice',
    ]);
    for (const code of ['424242', '4242', '987654', '123456']) expect(found.join('\n')).not.toContain(code);
  });

  it('allows in production only numbers from the fictional 555-01XX range, which no one can own', () => {
    expect(problems({ NODE_ENV: 'production', OTP_TEST_NUMBERS: '12015550142:424242,15555550100:535353' })).toEqual([]);
    expect(problems({ NODE_ENV: 'production', OTP_TEST_NUMBERS: '4915123456789:424242' })).toEqual([expect.stringContaining('4915123456789 is a real number')]);
    expect(problems({ NODE_ENV: 'production', OTP_TEST_NUMBERS: '12015550242:424242' })).toEqual([expect.stringContaining('12015550242 is a real number')]);
    expect(problems({ NODE_ENV: 'development', OTP_TEST_NUMBERS: '4915123456789:424242' })).toEqual([]);
  });

  it('knows the fictional range exactly', () => {
    expect(['12015550100', '12015550199', '15555550100'].map(isFictionalNumber)).toEqual([true, true, true]);
    expect(['12015550200', '12015550099', '11015550142', '4915550100', '120155501000'].map(isFictionalNumber)).toEqual([false, false, false, false, false]);
  });
});
