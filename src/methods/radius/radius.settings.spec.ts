import { ConfigError } from '../../config/env';
import { loadRadiusSettings } from './radius.settings';

const SECRET = 'sixteen-chars-at-least';

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadRadiusSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadRadiusSettings', () => {
  it('is off, with nothing required, when RADIUS_SERVERS is unset', () => {
    expect(loadRadiusSettings({})).toEqual({
      servers: [],
      secret: '',
      timeoutMs: 2000,
      retries: 1,
      nasIdentifier: 'mesibo-backend',
      subjectAttribute: undefined,
      addressAttribute: undefined,
      addressPrefix: 'radius:',
      trustAddress: false,
      challengeTtlSeconds: 300,
    });
    // A secret alone does not turn it on, nor does a short one matter then.
    expect(loadRadiusSettings({ RADIUS_SECRET: 'short' }).servers).toEqual([]);
  });

  it('reads the servers in order, with port 1812 when none is given, IPv6 in brackets', () => {
    const settings = loadRadiusSettings({ RADIUS_SERVERS: 'radius1.corp.example:1645, 10.0.0.2 ,[2001:db8::1]:18120,[::1]', RADIUS_SECRET: SECRET });
    expect(settings.servers).toEqual([
      { host: 'radius1.corp.example', port: 1645, label: 'radius1.corp.example:1645' },
      { host: '10.0.0.2', port: 1812, label: '10.0.0.2:1812' },
      { host: '2001:db8::1', port: 18120, label: '[2001:db8::1]:18120' },
      { host: '::1', port: 1812, label: '[::1]:1812' },
    ]);
    expect(settings.secret).toBe(SECRET);
  });

  it('reads every other setting', () => {
    const settings = loadRadiusSettings({
      RADIUS_SERVERS: '127.0.0.1:1812',
      RADIUS_SECRET: SECRET,
      RADIUS_TIMEOUT_MS: '750',
      RADIUS_RETRIES: '0',
      RADIUS_NAS_IDENTIFIER: 'chat-backend-1',
      RADIUS_SUBJECT_ATTRIBUTE: 'Class',
      RADIUS_ADDRESS_ATTRIBUTE: 'Filter-Id',
      RADIUS_ADDRESS_PREFIX: 'corp:',
      RADIUS_TRUST_ADDRESS: 'yes',
      RADIUS_CHALLENGE_TTL_SECONDS: '120',
    });
    expect(settings).toMatchObject({
      timeoutMs: 750,
      retries: 0,
      nasIdentifier: 'chat-backend-1',
      subjectAttribute: 'Class',
      addressAttribute: 'Filter-Id',
      addressPrefix: 'corp:',
      trustAddress: true,
      challengeTtlSeconds: 120,
    });
  });

  it('requires a secret of 16 characters or more once servers are set', () => {
    expect(problemsOf({ RADIUS_SERVERS: '127.0.0.1' })).toEqual([expect.stringMatching(/^RADIUS_SECRET must be set when RADIUS_SERVERS is/)]);
    expect(problemsOf({ RADIUS_SERVERS: '127.0.0.1', RADIUS_SECRET: 'fifteen-chars-x' })).toEqual([
      expect.stringMatching(/^RADIUS_SECRET must be at least 16 characters/),
    ]);
  });

  it.each([
    ['127.0.0.1:0', 'has a port outside 1-65535'],
    ['127.0.0.1:70000', 'has a port outside 1-65535'],
    ['::1:1812', 'must be host:port'],
    ['[127.0.0.1]:1812', 'does not name a host'],
    ['bad_host:1812', 'does not name a host'],
    ['host:port', 'must be host:port'],
  ])('refuses the server "%s", naming RADIUS_SERVERS', (entry, reason) => {
    expect(problemsOf({ RADIUS_SERVERS: entry, RADIUS_SECRET: SECRET })).toEqual([expect.stringContaining(`RADIUS_SERVERS: "${entry}" ${reason}`)]);
  });

  it('refuses a list that names a server twice, or none', () => {
    expect(problemsOf({ RADIUS_SERVERS: '10.0.0.1, 10.0.0.1:1812', RADIUS_SECRET: SECRET })).toEqual(['RADIUS_SERVERS names 10.0.0.1:1812 twice']);
    expect(problemsOf({ RADIUS_SERVERS: ' , ', RADIUS_SECRET: SECRET })).toEqual(['RADIUS_SERVERS must list at least one host:port']);
  });

  it.each(['12', 'a@b:', 'has space:'])('refuses the address prefix %j', (prefix) => {
    expect(problemsOf({ RADIUS_ADDRESS_PREFIX: prefix })).toEqual([expect.stringMatching(/^RADIUS_ADDRESS_PREFIX must be/)]);
  });

  it('reports every bad setting at once, each by its name', () => {
    const problems = problemsOf({
      RADIUS_SERVERS: '10.0.0.1:99999',
      RADIUS_SECRET: 'short',
      RADIUS_TIMEOUT_MS: '10',
      RADIUS_RETRIES: '9',
      RADIUS_NAS_IDENTIFIER: 'has spaces',
      RADIUS_SUBJECT_ATTRIBUTE: 'Filter-Id',
      RADIUS_ADDRESS_ATTRIBUTE: 'User-Password',
      RADIUS_ADDRESS_PREFIX: 'no spaces please',
      RADIUS_TRUST_ADDRESS: 'maybe',
      RADIUS_CHALLENGE_TTL_SECONDS: '5',
    });
    const named = [
      'RADIUS_SERVERS',
      'RADIUS_SECRET',
      'RADIUS_TIMEOUT_MS',
      'RADIUS_RETRIES',
      'RADIUS_NAS_IDENTIFIER',
      'RADIUS_SUBJECT_ATTRIBUTE',
      'RADIUS_ADDRESS_ATTRIBUTE',
      'RADIUS_ADDRESS_PREFIX',
      'RADIUS_TRUST_ADDRESS',
      'RADIUS_CHALLENGE_TTL_SECONDS',
    ];
    for (const variable of named) expect(problems.some((problem) => problem.startsWith(variable))).toBe(true);
    expect(problems.join('\n')).not.toContain('short');
  });
});
