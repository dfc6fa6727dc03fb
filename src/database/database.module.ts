import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { Clock } from '../common/clock';
import { errorMessage } from '../common/errors';
import { ConfigError, databaseConfig, redisConfig } from '../config';
import { DB, Db, migrateToLatest, openDatabase, pendingMigrations } from './connection';
import { CounterStore, DatabaseCounterStore } from './counter-store';
import { RedisCounterStore } from './redis-counter-store';

const COUNTER_PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** ioredis is loaded only when REDIS_URL is set: no start pays for it otherwise. */
function connectRedis(url: string): Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Client = (require('ioredis') as typeof import('ioredis')).default;
  return new Client(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
}

@Global()
@Module({
  providers: [
    {
      provide: DB,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>): Db =>
        openDatabase(config.url, {
          poolMax: config.poolMax,
          statementTimeoutMs: config.statementTimeoutMs,
          acquireTimeoutMs: config.acquireTimeoutMs,
          sqliteSynchronous: config.sqliteSynchronous,
        }),
    },
    {
      // Shared short-lived state: in Redis when REDIS_URL is set, else in the database.
      provide: CounterStore,
      inject: [redisConfig.KEY, DB, Clock],
      useFactory: (redis: ConfigType<typeof redisConfig>, db: Db, clock: Clock): CounterStore =>
        redis.url ? new RedisCounterStore(connectRedis(redis.url), redis.keyPrefix, clock) : new DatabaseCounterStore(db, clock),
    },
  ],
  exports: [DB, CounterStore],
})
export class DatabaseModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseModule.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(CounterStore) private readonly counters: CounterStore,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.migrateOnStart) return this.refuseOutdatedSchema();
    // Migrations may run longer than any request: on a server, they get a connection of their own
    // without the statement timeout. (SQLite has a single connection, and no statement timeout.)
    const migrationDb =
      this.config.engine === 'sqlite' ? this.db : openDatabase(this.config.url, { poolMax: 1, acquireTimeoutMs: this.config.acquireTimeoutMs });
    try {
      const applied = await migrateToLatest(migrationDb);
      if (applied.length > 0) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    } finally {
      if (migrationDb !== this.db) await migrationDb.destroy();
    }
  }

  /** Ended counters are deleted every few minutes; any instance may do it, deleting twice is harmless. */
  onApplicationBootstrap(): void {
    const counters = this.counters;
    if (!(counters instanceof DatabaseCounterStore)) return;
    this.purgeTimer = setInterval(() => {
      counters.purgeExpired().catch((error: unknown) => this.logger.warn(`Could not purge ended counters: ${errorMessage(error)}`));
    }, COUNTER_PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.purgeTimer);
    if (this.counters instanceof RedisCounterStore) await this.counters.close();
    await this.db.destroy();
  }

  /** With DB_MIGRATE=false, a schema older than this build would fail requests: refuse to start. */
  private async refuseOutdatedSchema(): Promise<void> {
    const pending = await pendingMigrations(this.db);
    if (pending.length === 0) return;
    throw new ConfigError(
      `DB_MIGRATE=false, but the database lacks ${pending.length} migration(s) of this build: ${pending.join(', ')}; ` +
        'apply them with `npm run migrate` (or `node dist/database/migrate.js`), or start with DB_MIGRATE=true',
    );
  }
}
