import { OriginNotAllowedError } from './errors';
import { assertOriginMaySendCodes } from './send-origin.guard';

describe('assertOriginMaySendCodes', () => {
  const listed = { corsOrigins: ['https://chat.example.com'], corsEnforceOnSends: true };

  it('lets apps and servers through: they send no Origin', () => {
    expect(() => assertOriginMaySendCodes(undefined, listed)).not.toThrow();
  });

  it('lets a listed origin through, exactly', () => {
    expect(() => assertOriginMaySendCodes('https://chat.example.com', listed)).not.toThrow();
    expect(() => assertOriginMaySendCodes('https://chat.example.com.evil.net', listed)).toThrow(OriginNotAllowedError);
  });

  it.each(['https://evil.example.net', 'null', 'http://chat.example.com'])('refuses %s', (origin) => {
    expect(() => assertOriginMaySendCodes(origin, listed)).toThrow(OriginNotAllowedError);
  });

  it('refuses every page when no origin is listed (the production default)', () => {
    expect(() => assertOriginMaySendCodes('https://chat.example.com', { corsOrigins: [], corsEnforceOnSends: true })).toThrow(OriginNotAllowedError);
  });

  it('lets any origin through with CORS_ORIGINS=* or CORS_ENFORCE_ON_SENDS=false', () => {
    expect(() => assertOriginMaySendCodes('https://evil.example.net', { corsOrigins: true, corsEnforceOnSends: true })).not.toThrow();
    expect(() => assertOriginMaySendCodes('https://evil.example.net', { ...listed, corsEnforceOnSends: false })).not.toThrow();
  });
});
