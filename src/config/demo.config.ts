import { registerAs } from '@nestjs/config';
import { IsOptional } from 'class-validator';
import { booleanSetting, IsBooleanSetting, isProduction, readEnv } from './env';

class DemoEnv {
  /** The demo login page at /demo; default: on outside production, off in production. */
  @IsOptional()
  @IsBooleanSetting()
  DEMO_PAGE?: string;
}

export interface DemoConfig {
  /** Serve the demo login page at /demo; off, /demo answers 404 like any unknown path. */
  pageEnabled: boolean;
}

export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return { pageEnabled: booleanSetting(readEnv(DemoEnv, env).DEMO_PAGE, !isProduction(env)) };
}

export const demoConfig = registerAs('demo', () => loadDemoConfig());
