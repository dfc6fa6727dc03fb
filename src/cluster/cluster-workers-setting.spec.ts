import { availableParallelism } from 'node:os';
import { loadAppConfig } from '../config/app.config';
import { ConfigError } from '../config/env';

describe('CLUSTER_WORKERS', () => {
  it('is 1 (a single process, no cluster) when unset or empty', () => {
    expect(loadAppConfig({}).clusterWorkers).toBe(1);
    expect(loadAppConfig({ CLUSTER_WORKERS: '' }).clusterWorkers).toBe(1);
  });

  it('takes a count from 1 to 64, or auto for one worker per core', () => {
    expect(loadAppConfig({ CLUSTER_WORKERS: '4' }).clusterWorkers).toBe(4);
    expect(loadAppConfig({ CLUSTER_WORKERS: '64' }).clusterWorkers).toBe(64);
    expect(loadAppConfig({ CLUSTER_WORKERS: 'AUTO' }).clusterWorkers).toBe(Math.min(64, availableParallelism()));
  });

  it.each(['0', '65', '2.5', '-1', 'two', 'auto,2'])('refuses %s, naming the variable', (value) => {
    let error: unknown;
    try {
      loadAppConfig({ CLUSTER_WORKERS: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^CLUSTER_WORKERS must be a whole number from 1 to 64, or auto/)]);
  });
});
