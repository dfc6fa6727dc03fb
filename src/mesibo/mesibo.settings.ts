import { MesiboConfig } from '../config';

/** The resolved mesibo settings: the config, or the local simulator's address and token in development. */
export type MesiboSettings = Omit<MesiboConfig, 'appToken'> & { appToken: string };

export const MESIBO_SETTINGS = Symbol('MESIBO_SETTINGS');

/** Where start-up may point the service instead of the configured mesibo (the development simulator). */
export interface MesiboEndpointOverride {
  apiUrl: string;
  appToken: string;
}
