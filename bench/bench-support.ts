/** Pieces the benchmark scripts share: throwaway databases, percentiles and aligned tables. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { onPostgres } from '../test/support/test-database';

export type BenchEngine = 'sqlite' | 'postgres';

export interface BenchDatabase {
  url: string;
  describeSize(): Promise<string>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one benchmark: a file in a new temporary directory (SQLite; under
 * `sqliteParent`, by default the system's temporary directory), or a new `bench_<random>` database
 * on the PostgreSQL server `pgServer` (whose user needs CREATEDB). `drop()` removes it again.
 */
export async function createDatabase(engine: BenchEngine, pgServer: string, label: string, sqliteParent = tmpdir()): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(sqliteParent, 'mesibo-backend-bench-'));
    const file = join(dir, `${label}.db`);
    return {
      url: `sqlite:${file}`,
      describeSize: () => Promise.resolve(`${megabytes(statSync(file).size)} MB`),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const url = new URL(pgServer);
  url.pathname = `/${name}`;
  await onPostgres(pgServer, `CREATE DATABASE ${name}`);
  return {
    url: url.toString(),
    describeSize: async () => {
      const client = new Client({ connectionString: pgServer });
      await client.connect();
      try {
        const result = await client.query<{ size: string }>('SELECT pg_database_size($1) AS size', [name]);
        return `${megabytes(Number(result.rows[0].size))} MB`;
      } finally {
        await client.end();
      }
    },
    drop: () => onPostgres(pgServer, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** The q-quantile (0 < q ≤ 1) of ascending values, nearest rank. NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Prints rows as columns: the first `textColumns` left-aligned, the rest (numbers) right-aligned. */
export function printRows(rows: string[][], textColumns = 3): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) {
    console.log(row.map((cell, column) => (column < textColumns ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
  }
}
