import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** Boundaries every module may use: the clock. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class CommonModule {}
