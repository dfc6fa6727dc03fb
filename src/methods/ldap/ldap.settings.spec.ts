import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/env';
import { inferAddressKind, loadLdapSettings } from './ldap.settings';

const SEARCH = {
  LDAP_URL: 'ldaps://ldap.example.org',
  LDAP_BIND_DN: 'cn=service,dc=example,dc=org',
  LDAP_BIND_PASSWORD: 'service secret',
  LDAP_SEARCH_BASE: 'ou=people,dc=example,dc=org',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadLdapSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the settings to be refused');
}

describe('LDAP settings', () => {
  it('are off without LDAP_URL, and then nothing else is required', () => {
    expect(loadLdapSettings({}).servers).toEqual([]);
  });

  it('search mode with a service account, and the defaults', () => {
    expect(loadLdapSettings(SEARCH)).toEqual({
      servers: [{ url: 'ldaps://ldap.example.org', host: 'ldap.example.org', port: 636, secure: true }],
      startTls: false,
      caFile: undefined,
      lookup: {
        mode: 'search',
        bindDn: 'cn=service,dc=example,dc=org',
        bindPassword: 'service secret',
        searchBase: 'ou=people,dc=example,dc=org',
        userFilter: '(uid={username})',
      },
      requiredGroup: undefined,
      attributes: { id: 'entryUUID', address: 'mail', name: 'cn' },
      addressKind: 'email',
      trustAddress: false,
      connectTimeoutMs: 5000,
      timeoutMs: 5000,
      maxConnections: 10,
    });
  });

  it('direct bind with a DN template, several servers, StartTLS, a nested group and AD attributes', () => {
    const settings = loadLdapSettings({
      LDAP_URL: 'ldap://dc1.corp.example:389, ldap://dc2.corp.example',
      LDAP_STARTTLS: 'true',
      LDAP_USER_DN_TEMPLATE: 'CN={username},CN=Users,DC=corp,DC=example',
      LDAP_REQUIRED_GROUP: 'CN=Messenger,CN=Users,DC=corp,DC=example',
      LDAP_GROUP_MATCH: 'nested',
      LDAP_ID_ATTRIBUTE: 'objectGUID',
      LDAP_ADDRESS_ATTRIBUTE: 'mobile',
      LDAP_NAME_ATTRIBUTE: 'displayName',
      LDAP_TRUST_ADDRESS: 'yes',
      LDAP_TIMEOUT_MS: '2500',
      LDAP_MAX_CONNECTIONS: '3',
    });
    expect(settings).toMatchObject({
      servers: [
        { url: 'ldap://dc1.corp.example:389', host: 'dc1.corp.example', port: 389, secure: false },
        { url: 'ldap://dc2.corp.example', host: 'dc2.corp.example', port: 389, secure: false },
      ],
      startTls: true,
      lookup: { mode: 'template', userDnTemplate: 'CN={username},CN=Users,DC=corp,DC=example' },
      requiredGroup: { dn: 'CN=Messenger,CN=Users,DC=corp,DC=example', match: 'nested' },
      attributes: { id: 'objectGUID', address: 'mobile', name: 'displayName' },
      addressKind: 'phone',
      trustAddress: true,
      timeoutMs: 2500,
      maxConnections: 3,
    });
  });

  it('search mode may search anonymously (no LDAP_BIND_DN)', () => {
    const { lookup } = loadLdapSettings({ LDAP_URL: 'ldaps://ldap', LDAP_SEARCH_BASE: 'dc=example', LDAP_USER_FILTER: '(mail={username})' });
    expect(lookup).toEqual({ mode: 'search', bindDn: undefined, bindPassword: undefined, searchBase: 'dc=example', userFilter: '(mail={username})' });
  });

  it('reads an IPv6 host and an ldaps port', () => {
    expect(loadLdapSettings({ ...SEARCH, LDAP_URL: 'ldaps://[::1]:10636' }).servers).toEqual([
      { url: 'ldaps://[::1]:10636', host: '::1', port: 10636, secure: true },
    ]);
  });

  it('plain ldap:// is fine to this machine, or when the operator accepts it', () => {
    expect(loadLdapSettings({ ...SEARCH, LDAP_URL: 'ldap://127.0.0.1:3389' }).servers[0].secure).toBe(false);
    expect(loadLdapSettings({ ...SEARCH, LDAP_URL: 'ldap://localhost' }).servers).toHaveLength(1);
    expect(loadLdapSettings({ ...SEARCH, LDAP_URL: 'ldap://ldap.example.org', LDAP_ALLOW_PLAINTEXT: 'true' }).servers).toHaveLength(1);
  });

  it('reads the CA file path when it can be read', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ldap-settings-')), 'ca.pem');
    writeFileSync(file, 'not checked here');
    expect(loadLdapSettings({ ...SEARCH, LDAP_CA_FILE: file }).caFile).toBe(file);
  });

  it.each([
    ['an http URL', { LDAP_URL: 'https://ldap.example.org' }, 'LDAP_URL'],
    ['a URL with a search base in it', { LDAP_URL: 'ldaps://ldap.example.org/dc=example,dc=org' }, 'LDAP_URL'],
    ['a password sent in clear to another machine', { LDAP_URL: 'ldap://ldap.example.org' }, 'LDAP_URL: ldap://ldap.example.org would send passwords unencrypted'],
    ['StartTLS on ldaps://', { LDAP_STARTTLS: 'true' }, 'LDAP_STARTTLS'],
    ['a CA file that is not there', { LDAP_CA_FILE: '/nonexistent/ca.pem' }, 'LDAP_CA_FILE'],
    ['no search base', { LDAP_SEARCH_BASE: '' }, 'LDAP_SEARCH_BASE'],
    ['a bind DN without its password', { LDAP_BIND_PASSWORD: '' }, 'LDAP_BIND_PASSWORD'],
    ['a filter without the placeholder', { LDAP_USER_FILTER: '(uid=admin)' }, 'LDAP_USER_FILTER must contain {username}'],
    ['a filter that is not one filter', { LDAP_USER_FILTER: 'uid={username}' }, 'LDAP_USER_FILTER'],
    ['a template as well as a search', { LDAP_USER_DN_TEMPLATE: 'uid={username},dc=example' }, 'LDAP_USER_DN_TEMPLATE cannot be set with'],
    ['a group that is not a DN', { LDAP_REQUIRED_GROUP: 'messenger' }, 'LDAP_REQUIRED_GROUP'],
    ['an unknown group match', { LDAP_GROUP_MATCH: 'recursive' }, 'LDAP_GROUP_MATCH'],
    ['an attribute that is not a name', { LDAP_ID_ATTRIBUTE: 'entry UUID' }, 'LDAP_ID_ATTRIBUTE'],
    ['an unknown address kind', { LDAP_ADDRESS_KIND: 'sip' }, 'LDAP_ADDRESS_KIND'],
    ['a boolean that is not one', { LDAP_TRUST_ADDRESS: 'maybe' }, 'LDAP_TRUST_ADDRESS'],
    ['a timeout below 100 ms', { LDAP_TIMEOUT_MS: '50' }, 'LDAP_TIMEOUT_MS'],
    ['no connections', { LDAP_MAX_CONNECTIONS: '0' }, 'LDAP_MAX_CONNECTIONS'],
  ])('refuses %s, naming the variable', (_case, change, variable) => {
    expect(problemsOf({ ...SEARCH, ...change }).join('; ')).toContain(variable);
  });

  it('refuses a DN template without the placeholder', () => {
    expect(problemsOf({ LDAP_URL: 'ldaps://ldap', LDAP_USER_DN_TEMPLATE: 'uid=alice,dc=example' }).join()).toContain('LDAP_USER_DN_TEMPLATE must be a DN containing {username}');
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ LDAP_URL: 'ldap://ldap.example.org', LDAP_USER_FILTER: 'uid', LDAP_REQUIRED_GROUP: 'x' })).toHaveLength(4);
  });

  it('never repeats the service password in a problem', () => {
    const problems = problemsOf({ ...SEARCH, LDAP_URL: 'ldap://ldap.example.org', LDAP_USER_FILTER: 'bad' });
    expect(problems.join()).not.toContain(SEARCH.LDAP_BIND_PASSWORD);
  });

  it.each([
    ['mail', 'email'],
    ['userPrincipalName', 'email'],
    ['telephoneNumber', 'phone'],
    ['mobile', 'phone'],
    ['uid', 'text'],
    ['sAMAccountName', 'text'],
  ])('infers the address kind of %s: %s', (attribute, kind) => {
    expect(inferAddressKind(attribute)).toBe(kind);
    expect(loadLdapSettings({ ...SEARCH, LDAP_ADDRESS_ATTRIBUTE: attribute }).addressKind).toBe(kind);
  });

  it('takes LDAP_ADDRESS_KIND over the inferred kind', () => {
    expect(loadLdapSettings({ ...SEARCH, LDAP_ADDRESS_ATTRIBUTE: 'mail', LDAP_ADDRESS_KIND: 'text' }).addressKind).toBe('text');
  });
});
