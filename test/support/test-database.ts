import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { databaseEngineOf } from '../../src/config/database.config';

/**
 * A database of its own for one test app. By default a temporary SQLite file; when
 * `E2E_DATABASE_URL` names a PostgreSQL or MySQL/MariaDB server, a freshly created database on it,
 * dropped afterwards. CI runs the e2e suite once per engine this way.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = process.env.E2E_DATABASE_URL;
  if (!server || databaseEngineOf(server) === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mesibo-backend-e2e-'));
    return { url: `sqlite:${join(dir, 'e2e.db')}`, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
  }
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  if (databaseEngineOf(server) === 'postgres') {
    await onPostgres(server, `CREATE DATABASE ${name}`);
    return { url: url.toString(), drop: () => onPostgres(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  await onMysql(server, `CREATE DATABASE ${name}`);
  return { url: url.toString(), drop: () => onMysql(server, `DROP DATABASE IF EXISTS ${name}`) };
}

/** Runs one statement on a PostgreSQL server (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function onPostgres(server: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function onMysql(server: string, statement: string): Promise<void> {
  const connection = await createConnection({ uri: server.replace(/^mariadb:/, 'mysql:') });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}
