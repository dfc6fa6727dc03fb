import { characterProblem } from '../../common/field-rules';
import { VerifiedIdentity } from '../../auth/verified-identity';

export const KERBEROS_METHOD = 'kerberos';

/** The users and identities columns are varchar(255). */
const MAX_IDENTIFIER_LENGTH = 255;

/** A client principal as GSS-API displays it: `alice@EXAMPLE.ORG`, `alice/admin@EXAMPLE.ORG`. */
export interface Principal {
  /** The name before the realm, with its instance if there is one: `alice`, `alice/admin`. */
  name: string;
  /** `alice/admin` has two components; a plain user name has one. */
  components: string[];
  realm: string;
}

/**
 * Reads a displayed principal name. Names with quoted characters (`\@`, `\/`: enterprise names such
 * as `alice\@example.com@REALM`) are not read: what their user part is would be guesswork, and an
 * address made of it could collide with a plain one. Such principals are refused.
 */
export function parsePrincipal(displayed: string): Principal | undefined {
  if (displayed.includes('\\') || characterProblem(displayed, 'line') !== undefined) return undefined;
  const at = displayed.indexOf('@');
  if (at <= 0 || at !== displayed.lastIndexOf('@')) return undefined;
  const name = displayed.slice(0, at);
  const realm = displayed.slice(at + 1);
  const components = name.split('/');
  if (realm === '' || components.some((component) => component === '')) return undefined;
  return { name, components, realm };
}

export interface PrincipalRules {
  /** Realms whose users may log in, compared exactly (realm names are case-sensitive). */
  realms: readonly string[];
  /** Whether `user/instance@REALM` may log in (as the user `user/instance`). */
  allowInstances: boolean;
  /** The address of a new user: `{user}` is the name without the realm, `{realm}` the realm. */
  addressTemplate: string;
  /** Whether that address is the user's own (joins the account that already has it). */
  trustAddress: boolean;
}

export type PrincipalDecision = { identity: VerifiedIdentity } | { refused: string };

/**
 * The identity a client principal proves: its subject is the full principal name, which the KDC
 * vouches for and the user cannot change; its address comes from the template. `refused` says why
 * a principal may not log in, for the log only: the client gets one answer for every refusal.
 */
export function identityFromPrincipal(displayed: string, rules: PrincipalRules): PrincipalDecision {
  const principal = parsePrincipal(displayed);
  if (!principal) return { refused: 'its name is not a plain user@REALM name' };
  if (!rules.realms.includes(principal.realm)) return { refused: `realm ${principal.realm} is not in KERBEROS_REALMS` };
  if (principal.components.length > 1 && !rules.allowInstances) {
    return { refused: 'it has an instance (user/instance), and KERBEROS_ALLOW_INSTANCES is off' };
  }
  const address = addressFor(principal, rules.addressTemplate);
  if (displayed.length > MAX_IDENTIFIER_LENGTH || address.length > MAX_IDENTIFIER_LENGTH) {
    return { refused: `its name or address is longer than ${MAX_IDENTIFIER_LENGTH} characters` };
  }
  return { identity: { method: KERBEROS_METHOD, subject: displayed, address, verified: rules.trustAddress } };
}

export function addressFor(principal: Pick<Principal, 'name' | 'realm'>, template: string): string {
  // One pass, so a `{realm}` inside a user name stays as it is.
  return template.replace(/\{(user|realm)\}/g, (_placeholder, key: string) => (key === 'user' ? principal.name : principal.realm));
}
