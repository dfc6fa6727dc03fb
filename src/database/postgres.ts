import { Logger } from '@nestjs/common';
import { PoolUsage } from './pool-usage';
import { Dialect, PostgresDialect, PostgresPool, PostgresPoolClient } from 'kysely';
import { Pool, PoolClient, types } from 'pg';
import { errorMessage } from '../common/errors';
import { breaksConnection } from './broken-connection';

const logger = new Logger('Database');

/** After the server's own statement timeout, how long to wait for its answer before giving up on the connection. */
const CLIENT_TIMEOUT_GRACE_MS = 500;

/** Kysely's dialect for `postgres://…`, on a pg pool. */
export function postgresDialect(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs?: number, usage = new PoolUsage(poolMax)): Dialect {
  return new PostgresDialect({ pool: openPostgresPool(url, poolMax, acquireTimeoutMs, statementTimeoutMs, usage) });
}

function openPostgresPool(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs: number | undefined, usage: PoolUsage): PostgresPool {
  const pool = new Pool({
    connectionString: url,
    max: poolMax,
    // pg-pool applies this both to opening a connection and to waiting for a free one.
    connectionTimeoutMillis: acquireTimeoutMs,
    // The server cancels a slow statement itself; the client gives up shortly after, in case the
    // server cannot answer at all (a stalled network).
    ...(statementTimeoutMs
      ? { statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS }
      : {}),
    // BIGINT columns hold epoch milliseconds, well inside the safe integer range.
    types: { getTypeParser: int8AsNumber as typeof types.getTypeParser },
  });
  // A connection that breaks emits 'error' on its client, idle or in use; without a listener that
  // is an unhandled 'error' event, which ends the process. The statement in flight fails (503) and
  // the broken connection leaves the pool. Idle ones are reported by the pool too: logged once here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn(`PostgreSQL connection lost: ${errorMessage(error)}`)),
  );
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await usage.acquire(() => pool.connect());
      let broken: Error | undefined;
      return {
        query: ((...args: Parameters<PoolClient['query']>) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          if (!(result instanceof Promise)) return result; // a cursor
          return result.catch((error: unknown) => {
            if (breaksConnection(error)) broken = error as Error;
            throw error;
          });
        }) as PostgresPoolClient['query'],
        // A broken connection is closed instead of going back to the pool.
        release: () => {
          usage.released();
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
}

function int8AsNumber(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === (types.builtins.INT8 as number)) return Number;
  return types.getTypeParser(oid, format) as (value: string) => unknown;
}
