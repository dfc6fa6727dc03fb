import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config';
import { DB, Db, migrateToLatest, openDatabase } from './connection';
import { CounterStore, DatabaseCounterStore } from './counter-store';

@Global()
@Module({
  providers: [
    {
      provide: DB,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>): Db => openDatabase(config.url, { poolMax: config.poolMax }),
    },
    { provide: CounterStore, useClass: DatabaseCounterStore },
  ],
  exports: [DB, CounterStore],
})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.migrateOnStart) return;
    const applied = await migrateToLatest(this.db);
    if (applied.length > 0) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
