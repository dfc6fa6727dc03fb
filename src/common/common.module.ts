import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** Boundaries every module may use: the clock (the system's, or one a test suite moves by hand). */
@Global()
@Module({})
export class CommonModule {
  static register(clock?: Clock): DynamicModule {
    const provider = clock ? { provide: Clock, useValue: clock } : { provide: Clock, useClass: SystemClock };
    return { module: CommonModule, providers: [provider], exports: [Clock] };
  }
}
