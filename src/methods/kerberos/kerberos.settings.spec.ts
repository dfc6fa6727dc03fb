import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/env';
import { KerberosLibrary } from './kerberos-library';
import { acceptorName, loadKerberosSettings, pointLibkrb5AtSettings } from './kerberos.settings';

const WORKING_LIBRARY = (): KerberosLibrary => ({ initializeServer: () => Promise.reject(new Error('not in unit tests')) });
const MISSING_LIBRARY = (): KerberosLibrary => {
  throw Object.assign(new Error("Cannot find module 'kerberos'\nRequire stack:\n- kerberos-library.ts"), { code: 'MODULE_NOT_FOUND' });
};

describe('kerberos settings', () => {
  let dir: string;
  let keytab: string;
  let on: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kerberos-settings-'));
    keytab = join(dir, 'http.keytab');
    writeFileSync(keytab, 'keys');
    on = { KERBEROS_KEYTAB: keytab, KERBEROS_SERVICE_PRINCIPAL: 'HTTP/www.example.org@EXAMPLE.ORG', KERBEROS_REALMS: 'EXAMPLE.ORG, CORP.EXAMPLE.ORG' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function problemsOf(env: NodeJS.ProcessEnv, loadLibrary = WORKING_LIBRARY): readonly string[] {
    try {
      loadKerberosSettings(env, { loadLibrary });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('is off by default and then loads no library', () => {
    const loadLibrary = jest.fn(MISSING_LIBRARY);
    expect(loadKerberosSettings({}, { loadLibrary })).toMatchObject({ enabled: false });
    expect(loadLibrary).not.toHaveBeenCalled();
  });

  it('reads a full configuration with its defaults', () => {
    expect(loadKerberosSettings(on, { loadLibrary: WORKING_LIBRARY })).toEqual({
      enabled: true,
      keytab,
      krb5Config: undefined,
      acceptorName: 'HTTP@www.example.org',
      realms: ['EXAMPLE.ORG', 'CORP.EXAMPLE.ORG'],
      addressTemplate: '{user}',
      trustAddress: false,
      allowInstances: false,
      timeoutMs: 5000,
    });
  });

  it('reads the optional settings', () => {
    const settings = loadKerberosSettings(
      {
        ...on,
        KERBEROS_KRB5_CONFIG: keytab,
        KERBEROS_ADDRESS_TEMPLATE: '{user}@example.org',
        KERBEROS_TRUST_ADDRESS: 'yes',
        KERBEROS_ALLOW_INSTANCES: 'true',
        KERBEROS_TIMEOUT_MS: '2000',
      },
      { loadLibrary: WORKING_LIBRARY },
    );
    expect(settings).toMatchObject({ krb5Config: keytab, addressTemplate: '{user}@example.org', trustAddress: true, allowInstances: true, timeoutMs: 2000 });
  });

  it('refuses a template with @ unless the address is trusted: an unproven login may not take an email-like address', () => {
    expect(problemsOf({ ...on, KERBEROS_ADDRESS_TEMPLATE: '{user}@example.org' })).toEqual([
      expect.stringMatching(/^KERBEROS_ADDRESS_TEMPLATE makes addresses with @, .* set KERBEROS_TRUST_ADDRESS=true/),
    ]);
    expect(problemsOf({ ...on, KERBEROS_ADDRESS_TEMPLATE: '{user}@example.org', KERBEROS_TRUST_ADDRESS: 'true' })).toEqual([]);
    expect(problemsOf({ ...on, KERBEROS_ADDRESS_TEMPLATE: 'krb:{user}.{realm}' })).toEqual([]);
  });

  it('needs all three switches once one is set, naming each missing one', () => {
    expect(problemsOf({ KERBEROS_REALMS: 'EXAMPLE.ORG' })).toEqual([
      expect.stringMatching(/^KERBEROS_KEYTAB must be set when KERBEROS_REALMS is/),
      expect.stringMatching(/^KERBEROS_SERVICE_PRINCIPAL must be set when KERBEROS_REALMS is/),
    ]);
  });

  it('names every bad value', () => {
    const problems = problemsOf({
      ...on,
      KERBEROS_KEYTAB: join(dir, 'missing.keytab'),
      KERBEROS_SERVICE_PRINCIPAL: 'HTTP/a/b@EXAMPLE.ORG',
      KERBEROS_REALMS: 'EXAMPLE.ORG,bad realm',
      KERBEROS_ADDRESS_TEMPLATE: 'fixed',
      KERBEROS_TRUST_ADDRESS: 'maybe',
      KERBEROS_TIMEOUT_MS: '10',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('KERBEROS_SERVICE_PRINCIPAL must be a service principal'),
        expect.stringContaining('KERBEROS_ADDRESS_TEMPLATE must contain {user}'),
        expect.stringContaining('KERBEROS_TRUST_ADDRESS must be true or false'),
        expect.stringContaining('KERBEROS_TIMEOUT_MS must be at least 100'),
        'KERBEROS_REALMS: "bad realm" is not a realm name (such as EXAMPLE.ORG)',
        `KERBEROS_KEYTAB: ${join(dir, 'missing.keytab')} cannot be read by this process (ENOENT)`,
      ]),
    );
  });

  it('stops start-up when the kerberos package cannot be loaded, saying which setting and package and what to do', () => {
    const problems = problemsOf(on, MISSING_LIBRARY);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('KERBEROS_KEYTAB is set, which turns the kerberos login on');
    expect(problems[0]).toContain(`the optional package "kerberos" cannot be loaded (Cannot find module 'kerberos')`);
    expect(problems[0]).toContain('apt-get install libkrb5-dev');
    // One line: the require stack stays out.
    expect(problems[0]).not.toContain('\n');
  });

  it('turns service principals into GSS-API host-based names', () => {
    expect(acceptorName('HTTP/www.example.org@EXAMPLE.ORG')).toBe('HTTP@www.example.org');
    expect(acceptorName('HTTP/www.example.org')).toBe('HTTP@www.example.org');
    expect(acceptorName('HTTP@www.example.org')).toBe('HTTP@www.example.org');
    expect(acceptorName('HTTP')).toBeUndefined();
    expect(acceptorName('HTTP/a@B@C')).toBeUndefined();
  });

  it('points libkrb5 at the keytab and krb5.conf, and leaves the environment alone when off', () => {
    const env: NodeJS.ProcessEnv = {};
    pointLibkrb5AtSettings(loadKerberosSettings({}, { loadLibrary: WORKING_LIBRARY }), env);
    expect(env).toEqual({});
    pointLibkrb5AtSettings(loadKerberosSettings({ ...on, KERBEROS_KRB5_CONFIG: keytab }, { loadLibrary: WORKING_LIBRARY }), env);
    expect(env).toEqual({ KRB5_KTNAME: `FILE:${keytab}`, KRB5_CONFIG: keytab });
  });
});
