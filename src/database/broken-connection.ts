import { isDatabaseUnavailable } from '../common/infrastructure-errors';

/**
 * Whether a failed statement leaves its connection unusable: the connection broke, or the
 * statement timed out on our side while the server may still be busy with it (or unreachable).
 */
export function breaksConnection(error: unknown): boolean {
  return isDatabaseUnavailable(error) || (error instanceof Error && /query read timeout/i.test(error.message));
}
