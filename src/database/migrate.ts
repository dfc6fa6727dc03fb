/* Applies pending migrations and exits: `npm run migrate`. */
import { loadDatabaseConfig } from '../config/database.config';
import { migrateToLatest, openDatabase } from './connection';
import { errorMessage } from '../common/errors';

async function main(): Promise<void> {
  const db = openDatabase(loadDatabaseConfig().url, { poolMax: 1 });
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
