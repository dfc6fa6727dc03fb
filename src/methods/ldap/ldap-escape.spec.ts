import { ldapts } from './ldap-library';
import { andFilter, escapeDnValue, escapeFilterValue, filterTemplateProblem, groupFilter, userDn, userFilter } from './ldap-escape';

/** The filter as ldapts will send it: the tree it parses, with every value as it goes on the wire. */
function parsed(filter: string): unknown {
  return JSON.parse(JSON.stringify(ldapts().FilterParser.parseString(filter)));
}

describe('LDAP filter values (RFC 4515)', () => {
  it.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    ['a*b(c)d\\e\0f', 'a\\2ab\\28c\\29d\\5ce\\00f'],
    ['plain.name-1_2', 'plain.name-1_2'],
    ['café ünïcode', 'café ünïcode'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });

  it.each([
    ['a wildcard', '*'],
    ['a second condition', '*)(uid=*'],
    ['an OR with everything', 'x)(|(objectClass=*)'],
    ['a closing of the template', 'alice)(&'],
    ['a NUL cut', 'alice\0)(uid=*'],
    ['backslash escapes of its own', 'ali\\2a'],
  ])('keeps %s one literal equality value', (_case, username) => {
    const filter = userFilter('(uid={username})', username);
    expect(parsed(filter)).toEqual({ type: 0xa3, attribute: 'uid', value: username });
  });

  it('keeps an injection inside a combined template and next to the group condition', () => {
    const template = '(&(objectClass=person)(|(uid={username})(mail={username})))';
    const filter = andFilter(userFilter(template, '*)(uid=*'), groupFilter('cn=messenger,ou=groups,dc=example,dc=org', 'direct'));
    expect(filter).toBe(
      '(&(&(objectClass=person)(|(uid=\\2a\\29\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a)))(memberOf=cn=messenger,ou=groups,dc=example,dc=org))',
    );
    expect(JSON.stringify(parsed(filter))).not.toContain('"type":135'); // no presence filter (uid=*) appeared
  });

  it('sends non-ASCII usernames as UTF-8, unchanged', () => {
    expect(parsed(userFilter('(uid={username})', 'jürgen'))).toEqual({ type: 0xa3, attribute: 'uid', value: 'jürgen' });
  });

  it('builds the direct and the nested (Active Directory) group conditions, with the DN escaped', () => {
    expect(groupFilter('cn=Sales\\, EMEA,ou=groups,dc=corp', 'direct')).toBe('(memberOf=cn=Sales\\5c, EMEA,ou=groups,dc=corp)');
    expect(groupFilter('cn=messenger,dc=corp', 'nested')).toBe('(memberOf:1.2.840.113556.1.4.1941:=cn=messenger,dc=corp)');
    expect(parsed(groupFilter('cn=messenger,dc=corp', 'nested'))).toMatchObject({
      matchType: 'memberOf',
      rule: '1.2.840.113556.1.4.1941',
      value: 'cn=messenger,dc=corp',
    });
  });
});

describe('DN values (RFC 4514)', () => {
  it.each([
    ['alice', 'alice'],
    ['a,b', 'a\\,b'],
    ['a+b', 'a\\+b'],
    ['a=b', 'a\\=b'],
    ['"q"', '\\"q\\"'],
    ['<a>;b', '\\<a\\>\\;b'],
    ['back\\slash', 'back\\\\slash'],
    ['#hash', '\\#hash'],
    ['mid#hash', 'mid#hash'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    [' ', '\\ '],
    ['in side', 'in side'],
    ['nul\0', 'nul\\00'],
    ['trailing backslash and space\\ ', 'trailing backslash and space\\\\\\ '],
    ['😀 x ', '😀 x\\ '],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it('keeps an attempt to reach another entry inside the one RDN value', () => {
    expect(userDn('uid={username},ou=people,dc=example,dc=org', 'admin,dc=example,dc=org')).toBe(
      'uid=admin\\,dc\\=example\\,dc\\=org,ou=people,dc=example,dc=org',
    );
    expect(userDn('uid={username},ou=people,dc=example,dc=org', 'x+cn=admin')).toBe('uid=x\\+cn\\=admin,ou=people,dc=example,dc=org');
  });
});

describe('filter templates', () => {
  it.each(['(uid={username})', '(&(objectClass=user)(sAMAccountName={username}))', '(|(uid={username})(mail={username}))', '(cn=a\\29b{username})'])(
    'accepts %s',
    (template) => {
      expect(filterTemplateProblem(template)).toBeUndefined();
    },
  );

  it.each([
    ['uid={username}', 'one filter in parentheses'],
    ['(uid=alice)', 'must contain {username}'],
    ['(uid={username})(mail={username})', 'combine several'],
    ['((uid={username})', 'unbalanced'],
    ['(&(uid={username})))', 'combine several'],
  ])('refuses %s', (template, reason) => {
    expect(filterTemplateProblem(template)).toContain(reason);
  });
});
