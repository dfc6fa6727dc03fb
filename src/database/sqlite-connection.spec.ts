import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config';
import { loadDatabaseConfig } from '../config/database.config';
import { Db, openDatabase } from './connection';

const SYNCHRONOUS = { off: 0, normal: 1, full: 2 } as const;

async function synchronousOf(db: Db): Promise<number> {
  const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
  return rows[0].synchronous;
}

describe('SQLite connection', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sqlite-connection-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // SQLite's own default differs between a file created now (FULL) and one reopened in WAL mode (NORMAL).
  it('syncs at checkpoints (NORMAL) by default, on a new file and on a reopened one', async () => {
    for (let open = 0; open < 2; open++) {
      const db = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
      await sql`CREATE TABLE IF NOT EXISTS t (x INTEGER)`.execute(db);
      expect(await synchronousOf(db)).toBe(SYNCHRONOUS.normal);
      await db.destroy();
    }
  });

  it('syncs every commit with sqliteSynchronous full', async () => {
    const db = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`, { sqliteSynchronous: 'full' });
    expect(await synchronousOf(db)).toBe(SYNCHRONOUS.full);
    await db.destroy();
  });

  it('SQLITE_SYNCHRONOUS takes normal or full, and nothing else', () => {
    expect(loadDatabaseConfig({}).sqliteSynchronous).toBe('normal');
    expect(loadDatabaseConfig({ SQLITE_SYNCHRONOUS: 'full' }).sqliteSynchronous).toBe('full');
    expect(() => loadDatabaseConfig({ SQLITE_SYNCHRONOUS: 'off' })).toThrow(ConfigError);
    expect(() => loadDatabaseConfig({ SQLITE_SYNCHRONOUS: 'off' })).toThrow(/SQLITE_SYNCHRONOUS/);
  });
});
