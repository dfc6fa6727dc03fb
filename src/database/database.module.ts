import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { Clock } from '../common/clock';
import { databaseConfig, redisConfig } from '../config';
import { DB, Db, openDatabase, prepareSchema } from './connection';
import { CounterStore, DatabaseCounterStore } from './counter-store';
import { PoolUsage } from './pool-usage';
import { RedisCounterStore } from './redis-counter-store';

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
      provide: PoolUsage,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => new PoolUsage(config.engine === 'sqlite' ? 1 : config.poolMax),
    },
    {
      provide: DB,
      inject: [databaseConfig.KEY, PoolUsage],
      useFactory: (config: ConfigType<typeof databaseConfig>, poolUsage: PoolUsage): Db =>
        openDatabase(config.url, {
          poolMax: config.poolMax,
          statementTimeoutMs: config.statementTimeoutMs,
          acquireTimeoutMs: config.acquireTimeoutMs,
          sqliteSynchronous: config.sqliteSynchronous,
          poolUsage,
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
  exports: [DB, CounterStore, PoolUsage],
})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(CounterStore) private readonly counters: CounterStore,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    // Migrations may run longer than any request: on a server, they get a connection of their own
    // without the statement timeout. (SQLite has a single connection, and no statement timeout.)
    const ownConnection = this.config.migrateOnStart && this.config.engine !== 'sqlite';
    const migrationDb = ownConnection ? openDatabase(this.config.url, { poolMax: 1, acquireTimeoutMs: this.config.acquireTimeoutMs }) : this.db;
    try {
      const applied = await prepareSchema(migrationDb, this.config.migrateOnStart);
      if (applied.length > 0) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    } finally {
      if (migrationDb !== this.db) await migrationDb.destroy();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.counters instanceof RedisCounterStore) await this.counters.close();
    await this.db.destroy();
  }
}
