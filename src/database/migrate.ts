/* Applies pending migrations and exits: `npm run migrate` (and `npm run cli -- migrate`). */
import { errorMessage } from '../common/errors';
import { loadDatabaseConfig } from '../config/database.config';
import { loadDotEnvFile } from '../config/env';
import { migrateToLatest, openDatabase } from './connection';

/** Applies pending migrations to DATABASE_URL on a connection of its own; returns what it says about them. */
export async function applyPendingMigrations(): Promise<string> {
  // The same settings as the service: the environment, then `.env`.
  loadDotEnvFile();
  const config = loadDatabaseConfig();
  // No statement timeout: a migration may rewrite a large table.
  const db = openDatabase(config.url, { poolMax: 1, acquireTimeoutMs: config.acquireTimeoutMs });
  try {
    const applied = await migrateToLatest(db);
    return applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Nothing to apply.';
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  applyPendingMigrations().then(
    (report) => process.stdout.write(`${report}\n`),
    (error: unknown) => {
      process.stderr.write(`${errorMessage(error)}\n`);
      process.exit(1);
    },
  );
}
