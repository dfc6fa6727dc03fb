import { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001-initial';
import * as emailAccounts from './0002-email-accounts';
import * as oidcLoginStates from './0003-oidc-login-states';
import * as exactIdentifiers from './0004-exact-identifiers';
import * as accountSecurity from './0005-account-security';
import * as usernameAccounts from './0006-username-accounts';
import * as auditEvents from './0007-audit-events';
import * as sessionActivity from './0008-session-activity';
import * as admin from './0009-admin';
import * as webhookOutbox from './0010-webhook-outbox';

/**
 * Migrations are listed here, in order, rather than read from a folder, so they work the same
 * from `src/` under ts-node and jest and from the compiled `dist/`. Never edit one that has shipped;
 * add the next.
 */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-email-accounts': emailAccounts,
  '0003-oidc-login-states': oidcLoginStates,
  '0004-exact-identifiers': exactIdentifiers,
  '0005-account-security': accountSecurity,
  '0006-username-accounts': usernameAccounts,
  '0007-audit-events': auditEvents,
  '0008-session-activity': sessionActivity,
  '0009-admin': admin,
  '0010-webhook-outbox': webhookOutbox,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
