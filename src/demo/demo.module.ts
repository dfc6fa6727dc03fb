import { Module } from '@nestjs/common';
import { DemoController } from './demo.controller';

/** A demo login page at /demo (DEMO_PAGE): every login this instance offers, tried in a browser. */
@Module({ controllers: [DemoController] })
export class DemoModule {}
