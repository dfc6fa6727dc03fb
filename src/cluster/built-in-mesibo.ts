import { Logger } from '@nestjs/common';
import { loadMesiboConfig } from '../config/mesibo.config';
import type { MesiboEndpointOverride } from '../mesibo/mesibo.settings';
import { MesiboSimulator, randomAppToken } from '../mesibo-simulator/mesibo-simulator';

/** The built-in mesibo simulator, running in this process. */
export interface BuiltInMesibo {
  endpoint: MesiboEndpointOverride;
  stop(): Promise<void>;
}

/**
 * Without an App Token, development runs against the built-in mesibo simulator: started here, once
 * per service (in the primary when there are workers, which all use this one).
 */
export async function startBuiltInMesiboIfNoAppToken(logger: Logger): Promise<BuiltInMesibo | undefined> {
  if (loadMesiboConfig().appToken !== undefined) return undefined;
  const appToken = randomAppToken();
  const simulator = await new MesiboSimulator({ appToken }).start();
  logger.warn(
    `MESIBO_APP_TOKEN is not set: using the built-in mesibo simulator at ${simulator.url} (development only; its tokens do not work with real mesibo)`,
  );
  return { endpoint: { apiUrl: simulator.url, appToken }, stop: () => simulator.stop() };
}
