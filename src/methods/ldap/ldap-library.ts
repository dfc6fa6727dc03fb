import type * as Ldapts from 'ldapts';

/**
 * ldapts, loaded by the first LDAP login rather than at start-up: a service without LDAP_URL never
 * needs it. Its types are imported as types only.
 */
export function ldapts(): typeof Ldapts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ldapts') as typeof Ldapts;
}
