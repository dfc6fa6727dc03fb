import type * as Radius from 'radius';

/**
 * The `radius` packet library, loaded by the first RADIUS login rather than at start-up: a
 * service without RADIUS_SERVERS never needs it (nor reads its dictionaries). Types only above.
 */
export function radiusLibrary(): typeof Radius {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('radius') as typeof Radius;
}
