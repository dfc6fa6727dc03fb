import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { DestinationStream } from 'pino';
import { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import { ProblemDetailsFilter } from './common/problem-details';
import { allConfigs } from './config';
import { DatabaseModule } from './database/database.module';
import { DemoModule } from './demo/demo.module';
import { HealthModule } from './health/health.module';
import { LegacyModule } from './legacy/legacy.module';
import { MesiboModule } from './mesibo/mesibo.module';
import { MesiboEndpointOverride } from './mesibo/mesibo.settings';
import { OidcModule } from './oidc/oidc.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { MetricsModule } from './metrics/metrics.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { AuditModule } from './audit/audit.module';
import { HooksModule } from './hooks/hooks.module';
import { createValidationPipe } from './common/validation';
import { LoggingModule } from './logging/logging.module';
import { LOGIN_METHOD_MODULES, LOGIN_METHOD_SETTINGS } from './login-methods';

export interface AppOptions {
  /** Use this mesibo endpoint instead of the configured one (the development simulator). */
  mesibo?: MesiboEndpointOverride;
  /** Read time from this clock instead of the system's (test suites that move time). */
  clock?: Clock;
  /** Write log lines here instead of the standard output (tests read them). */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static register(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // `.env` is loaded by main.ts before anything reads the environment.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [...allConfigs, ...LOGIN_METHOD_SETTINGS] }),
        LoggingModule.register(options.logDestination),
        CommonModule.register(options.clock),
        DatabaseModule,
        { ...MesiboModule.register(options.mesibo), global: true },
        AuthModule,
        AccountsModule,
        OidcModule,
        ...LOGIN_METHOD_MODULES,
        LegacyModule,
        HealthModule,
        ThrottlingModule,
        MetricsModule,
        MaintenanceModule,
        AuditModule,
        HooksModule,
        DemoModule,
        AdminModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useValue: createValidationPipe('refuse') },
      ],
    };
  }
}
