import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DEFAULT_MIGRATION_TABLE, sql } from 'kysely';
import { errorMessage } from '../common/errors';
import { DB, Db } from '../database/connection';
import { migrationProvider } from '../database/migrations';
import { ProbeTimeoutError, withTimeout } from './with-timeout';

/**
 * Readiness of the database: it answers a query, and its schema is the one this build expects.
 * Never throws: a failure is a `down` result. The body is public, so it says only what failed;
 * the cause (which may name hosts or users) goes to the log.
 */
@Injectable()
export class DatabaseHealthIndicator {
  private readonly logger = new Logger('HealthCheck');

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** `select 1`, within the probe timeout. */
  async ping(key = 'database') {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(sql`select 1`.execute(this.db));
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: this.failure(key, 'the database did not answer', error) });
    }
  }

  /** Every migration this build ships is recorded in Kysely's migration table. */
  async migrations(key = 'migrations') {
    const indicator = this.indicators.check(key);
    let applied: Set<string>;
    try {
      const { rows } = await withTimeout(
        sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(this.db),
      );
      applied = new Set(rows.map((row) => row.name));
    } catch (error) {
      return indicator.down({ message: this.failure(key, 'could not read the applied migrations', error) });
    }
    const expected = Object.keys(await migrationProvider.getMigrations()).sort();
    const pending = expected.filter((name) => !applied.has(name));
    if (pending.length > 0) {
      return indicator.down({ message: `${pending.length} migration(s) not applied`, pending });
    }
    return indicator.up({ applied: expected.length });
  }

  private failure(key: string, what: string, error: unknown): string {
    this.logger.warn(`${key}: ${what}: ${errorMessage(error)}`);
    return error instanceof ProbeTimeoutError ? `${what}: ${error.message}` : what;
  }
}
