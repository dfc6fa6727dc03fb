import { Logger } from '@nestjs/common';
import { PoolUsage } from './pool-usage';
import { Dialect, MysqlDialect, MysqlPool, MysqlPoolConnection } from 'kysely';
import { createPool, PoolConnection } from 'mysql2';
import { errorMessage } from '../common/errors';
import { breaksConnection } from './broken-connection';

const logger = new Logger('Database');

/** Kysely's dialect for `mysql://…` / `mariadb://…`, on a mysql2 pool. */
export function mysqlDialect(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs?: number, usage = new PoolUsage(poolMax)): Dialect {
  return new MysqlDialect({ pool: openMysqlPool(url, poolMax, acquireTimeoutMs, statementTimeoutMs, usage) });
}

function openMysqlPool(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs: number | undefined, usage: PoolUsage): MysqlPool {
  const pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: poolMax, connectTimeout: acquireTimeoutMs });
  // mysql2 listens only once for an error of a pooled connection; a second one would be unhandled.
  pool.on('connection', (connection) =>
    connection.on('error', (error: unknown) => logger.warn(`MySQL connection lost: ${errorMessage(error)}`)),
  );
  return {
    // mysql2's pool has no acquire timeout: a caller waits for a free connection as long as it takes.
    getConnection(callback) {
      let settled = false;
      usage.waiting++;
      const timer = setTimeout(() => {
        settled = true;
        usage.waiting--;
        callback(acquireTimeout(acquireTimeoutMs), undefined as never);
      }, acquireTimeoutMs);
      pool.getConnection((error, connection) => {
        if (settled) {
          connection?.release();
          return;
        }
        settled = true;
        usage.waiting--;
        clearTimeout(timer);
        if (error) return callback(error, undefined as never);
        usage.inUse++;
        callback(null, timedMysqlConnection(connection, statementTimeoutMs, () => usage.released()));
      });
    },
    end: (callback) => pool.end(callback),
  };
}

function timedMysqlConnection(connection: PoolConnection, statementTimeoutMs: number | undefined, released: () => void): MysqlPoolConnection {
  let broken = false;
  const query = (sql: string, values: unknown[], callback?: (error: unknown, result: never) => void): unknown => {
    if (!callback) return connection.query(sql, values); // a stream
    connection.query({ sql, values, timeout: statementTimeoutMs }, (error, result) => {
      // After a timeout mysql2 still waits for the answer on that connection: do not reuse it.
      if (error && breaksConnection(error)) broken = true;
      callback(error, result as never);
    });
    return undefined;
  };
  return {
    query: query as MysqlPoolConnection['query'],
    release: () => {
      released();
      if (broken) connection.destroy();
      else connection.release();
    },
  };
}

function acquireTimeout(ms: number): Error {
  return Object.assign(new Error(`timeout exceeded when trying to connect: no pooled connection within ${ms} ms`), { code: 'ETIMEDOUT' });
}
