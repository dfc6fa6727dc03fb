/* Applies pending migrations and exits: `npm run migrate`. */
import { errorMessage } from '../common/errors';
import { loadDatabaseConfig } from '../config/database.config';
import { loadDotEnvFile } from '../config/env';
import { migrateToLatest, openDatabase } from './connection';

async function main(): Promise<void> {
  // The same settings as the service: the environment, then `.env`.
  loadDotEnvFile();
  const config = loadDatabaseConfig();
  // No statement timeout: a migration may rewrite a large table.
  const db = openDatabase(config.url, { poolMax: 1, acquireTimeoutMs: config.acquireTimeoutMs });
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'Nothing to apply.\n');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorMessage(error)}\n`);
  process.exit(1);
});
