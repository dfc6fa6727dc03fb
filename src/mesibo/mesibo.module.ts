import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ConfigError, mesiboConfig } from '../config';
import { MesiboApiClient } from './mesibo-api.client';
import { MesiboTokenService } from './mesibo-token.service';
import { Metrics } from '../metrics/metrics';
import { MESIBO_SETTINGS, MesiboEndpointOverride, MesiboSettings } from './mesibo.settings';

@Module({})
export class MesiboModule implements OnApplicationShutdown {
  constructor(@Inject(MesiboApiClient) private readonly client: MesiboApiClient) {}

  static register(override?: MesiboEndpointOverride): DynamicModule {
    return {
      module: MesiboModule,
      providers: [
        {
          provide: MESIBO_SETTINGS,
          inject: [mesiboConfig.KEY],
          useFactory: (config: ConfigType<typeof mesiboConfig>): MesiboSettings => {
            const appToken = override?.appToken ?? config.appToken;
            if (appToken === undefined) {
              throw new ConfigError('Invalid configuration: MESIBO_APP_TOKEN must be set');
            }
            return { ...config, apiUrl: override?.apiUrl ?? config.apiUrl, appToken };
          },
        },
        {
          provide: MesiboApiClient,
          inject: [MESIBO_SETTINGS, Metrics],
          useFactory: (settings: MesiboSettings, metrics: Metrics) =>
            new MesiboApiClient(settings, undefined, (op, outcome, seconds) => metrics.mesiboCall(op, outcome, seconds)),
        },
        MesiboTokenService,
      ],
      // The settings (never the client) are shared, for the health check's reachability probe.
      exports: [MesiboTokenService, MESIBO_SETTINGS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
