/**
 * Putting what a user typed into LDAP strings without changing their meaning.
 *
 * Non-ASCII characters are left as they are: they travel as UTF-8, which both RFCs allow, and
 * ldapts reads a `\XX` filter escape as one Latin-1 character, so escaping UTF-8 bytes would
 * change the value.
 */

/** The placeholder the operator writes in LDAP_USER_FILTER and LDAP_USER_DN_TEMPLATE. */
export const USERNAME_PLACEHOLDER = '{username}';

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: matches members of the group and of every group nested in it. */
export const IN_CHAIN_MATCHING_RULE = '1.2.840.113556.1.4.1941';

export type GroupMatch = 'direct' | 'nested';

/**
 * An assertion value of a search filter (RFC 4515 section 3): `*`, `(`, `)`, `\` and NUL become
 * `\2a`, `\28`, `\29`, `\5c` and `\00`, so `*)(uid=*` is one literal value, never a wildcard or a
 * second condition.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (character) => `\\${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * An attribute value inside a distinguished name (RFC 4514 section 2.4): `"`, `+`, `,`, `;`, `<`,
 * `>`, `\` and `=` get a backslash, NUL becomes `\00`, and a leading `#` or space and a trailing
 * space are escaped, so the value can neither end its RDN nor add another one.
 */
export function escapeDnValue(value: string): string {
  const characters = Array.from(value);
  const last = characters.length - 1;
  const escaped = characters.map((character, index) => {
    if (character === '\0') return '\\00';
    if ('"+,;<>\\='.includes(character)) return `\\${character}`;
    const edgeSpace = character === ' ' && (index === 0 || index === last);
    if (edgeSpace || (index === 0 && character === '#')) return `\\${character}`;
    return character;
  });
  return escaped.join('');
}

/** LDAP_USER_FILTER with the username in place of every `{username}`. */
export function userFilter(template: string, username: string): string {
  return template.split(USERNAME_PLACEHOLDER).join(escapeFilterValue(username));
}

/** LDAP_USER_DN_TEMPLATE with the username in place of every `{username}`. */
export function userDn(template: string, username: string): string {
  return template.split(USERNAME_PLACEHOLDER).join(escapeDnValue(username));
}

/** The condition that an entry is a member of `groupDn`: directly (memberOf), or through nested groups on AD. */
export function groupFilter(groupDn: string, match: GroupMatch): string {
  const value = escapeFilterValue(groupDn);
  return match === 'nested' ? `(memberOf:${IN_CHAIN_MATCHING_RULE}:=${value})` : `(memberOf=${value})`;
}

/** Both conditions at once: `(&A B)`, or A alone when there is no B. */
export function andFilter(filter: string, extra: string | undefined): string {
  return extra === undefined ? filter : `(&${filter}${extra})`;
}

/**
 * Whether a filter template is well formed enough to be used: it is one parenthesised filter
 * whose parentheses balance (escaped ones do not count) and it has the placeholder. The server
 * checks the rest at the first login.
 */
export function filterTemplateProblem(template: string): string | undefined {
  if (!template.includes(USERNAME_PLACEHOLDER)) return `must contain ${USERNAME_PLACEHOLDER}`;
  if (!template.startsWith('(') || !template.endsWith(')')) return 'must be one filter in parentheses, e.g. (uid={username})';
  let depth = 0;
  for (let index = 0; index < template.length; index++) {
    const character = template[index];
    if (character === '\\') index += 2;
    else if (character === '(') depth++;
    else if (character === ')') {
      depth--;
      // Closed before the end: two filters side by side, `(a)(b)`.
      if (depth === 0 && index !== template.length - 1) return 'must be one filter in parentheses; combine several with (&...)';
      if (depth < 0) return 'has unbalanced parentheses';
    }
  }
  return depth === 0 ? undefined : 'has unbalanced parentheses';
}
