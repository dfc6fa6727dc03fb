import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { Clock } from '../common/clock';
import { databaseConfig, redisConfig } from '../config';
import { DB, Db, migrateToLatest, openDatabase } from './connection';
import { CounterStore, DatabaseCounterStore } from './counter-store';
import { RedisCounterStore } from './redis-counter-store';

@Global()
@Module({
  providers: [
    {
      provide: DB,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>): Db => openDatabase(config.url, { poolMax: config.poolMax }),
    },
    {
      // Shared short-lived state: in Redis when REDIS_URL is set, else in the database.
      provide: CounterStore,
      inject: [redisConfig.KEY, DB, Clock],
      useFactory: (redis: ConfigType<typeof redisConfig>, db: Db, clock: Clock): CounterStore =>
        redis.url
          ? new RedisCounterStore(new Redis(redis.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true }), redis.keyPrefix, clock)
          : new DatabaseCounterStore(db, clock),
    },
  ],
  exports: [DB, CounterStore],
})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(CounterStore) private readonly counters: CounterStore,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.migrateOnStart) return;
    const applied = await migrateToLatest(this.db);
    if (applied.length > 0) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.counters instanceof RedisCounterStore) await this.counters.close();
    await this.db.destroy();
  }
}
