import { Logger } from '@nestjs/common';
import { ConfigError } from '../config/env';
import { loadBuiltInSimulatorPort, loadMesiboConfig } from '../config/mesibo.config';
import type { MesiboEndpointOverride } from '../mesibo/mesibo.settings';
import { MesiboSimulator, randomAppToken } from '../mesibo-simulator/mesibo-simulator';

/** The built-in mesibo simulator, running in this process. */
export interface BuiltInMesibo {
  endpoint: MesiboEndpointOverride;
  stop(): Promise<void>;
}

/**
 * Without an App Token, development runs against the built-in mesibo simulator: started here, once
 * per service (in the primary when there are workers, which all use this one), on
 * MESIBO_SIMULATOR_PORT (default: any free port). `env` replaces the process environment (tests).
 */
export async function startBuiltInMesiboIfNoAppToken(logger: Logger, env?: NodeJS.ProcessEnv): Promise<BuiltInMesibo | undefined> {
  if (loadMesiboConfig(env).appToken !== undefined) return undefined;
  const port = loadBuiltInSimulatorPort(env);
  const appToken = randomAppToken();
  let simulator: MesiboSimulator;
  try {
    simulator = await new MesiboSimulator({ appToken, port }).start();
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    // Said like a bad setting: one line naming the variable, no stack trace.
    throw new ConfigError(`MESIBO_SIMULATOR_PORT=${port} is in use; choose another port, or 0 for any free one`);
  }
  logger.warn(
    `MESIBO_APP_TOKEN is not set: using the built-in mesibo simulator at ${simulator.url} (development only; its tokens do not work with real mesibo)`,
  );
  return { endpoint: { apiUrl: simulator.url, appToken }, stop: () => simulator.stop() };
}
