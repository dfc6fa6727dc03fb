/**
 * Who did something as an operator, as the audit trail's `method` of `admin.*` events names it:
 * `admin-key:<key name>` for the admin API, `cli` for the command line.
 */
export type AdminActor = string;

export const CLI_ACTOR: AdminActor = 'cli';

export function keyActor(keyName: string): AdminActor {
  return `admin-key:${keyName}`;
}
