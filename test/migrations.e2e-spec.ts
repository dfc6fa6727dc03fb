import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/database/connection';
import { migrationProvider } from '../src/database/migrations';
import { createTestDatabase, TestDatabase } from './support/test-database';

const run = promisify(execFile);

describe('migrations', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database.drop());

  it('apply each migration once when three processes run them at the same moment', async () => {
    // Each process loads the code first, then all three migrate at the same instant.
    const startAt = Date.now() + 5000;
    const script = `
      const { migrateToLatest, openDatabase } = require('./src/database/connection');
      setTimeout(async () => {
        const db = openDatabase(process.env.DATABASE_URL);
        try {
          const applied = await migrateToLatest(db);
          console.log(applied.length > 0 ? 'Applied: ' + applied.join(', ') : 'Nothing to apply.');
        } finally {
          await db.destroy();
        }
      }, ${startAt} - Date.now());`;
    const migrate = () =>
      run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, DATABASE_URL: database.url },
      });
    const outputs = await Promise.all([migrate(), migrate(), migrate()]);

    // One process applied the migrations; the others waited for the lock and found nothing to do.
    const said = outputs.map((output) => output.stdout.trim()).sort();
    expect(said).toEqual([`Applied: ${Object.keys(await migrationProvider.getMigrations()).join(', ')}`, 'Nothing to apply.', 'Nothing to apply.']);

    const db = openDatabase(database.url);
    try {
      const names = Object.keys(await migrationProvider.getMigrations());
      const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      expect(rows.rows.map((row) => row.name).sort()).toEqual(names.sort());
      await db.insertInto('counters').values({ key: 'k', value: 1, expires_at: 1 }).execute();
    } finally {
      await db.destroy();
    }
  }, 60_000);
});
