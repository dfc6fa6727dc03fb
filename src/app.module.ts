import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { InvalidRequestError } from './common/errors';
import { ProblemDetailsFilter } from './common/problem-details';
import { allConfigs } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LegacyModule } from './legacy/legacy.module';
import { MesiboModule } from './mesibo/mesibo.module';
import { MesiboEndpointOverride } from './mesibo/mesibo.settings';
import { OidcModule } from './oidc/oidc.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { ValidationError } from 'class-validator';

export interface AppOptions {
  /** Use this mesibo endpoint instead of the configured one (the development simulator). */
  mesibo?: MesiboEndpointOverride;
}

@Module({})
export class AppModule {
  static register(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // `.env` is loaded by main.ts before anything reads the environment.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: allConfigs }),
        CommonModule,
        DatabaseModule,
        { ...MesiboModule.register(options.mesibo), global: true },
        AuthModule,
        OidcModule,
        LegacyModule,
        HealthModule,
        ThrottlingModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            exceptionFactory: (errors: ValidationError[]) =>
              new InvalidRequestError('The request has invalid fields.', flatten(errors)),
          }),
        },
      ],
    };
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => (prefix ? `${prefix}.${message}` : message)),
    ...flatten(error.children ?? [], `${prefix}${error.property}`),
  ]);
}
