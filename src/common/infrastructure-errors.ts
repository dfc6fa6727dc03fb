import { DomainError, ServiceUnavailableError } from './errors';

/** Error codes meaning "the database cannot be reached right now", as the three drivers report them. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const MYSQL_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'PROTOCOL_SEQUENCE_TIMEOUT']);
// PostgreSQL SQLSTATEs: class 08 (connection exception), 57014 (statement timeout) and 57P01-57P03
// (server shutting down or starting).
const POSTGRES_STATE = /^(08...|57014|57P0[123])$/;
const MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection is in closed state|pool is closed|query read timeout|connection error and is not queryable/i;

/**
 * Whether an error thrown by a query means the database is unreachable (and a retry may work),
 * rather than a bug or a constraint violation. Read by the surfaces to answer 503 instead of 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || MYSQL_CODES.has(code) || POSTGRES_STATE.test(code)) return true;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN') return true;
  }
  // pg's pool reports broken connections as plain errors, and AggregateError wraps refused connects.
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some(isDatabaseUnavailable)) return true;
  return typeof message === 'string' && MESSAGES.test(message);
}

/** A thrown value as a domain error where it is one or stands for one; otherwise unchanged. */
export function asDomainError(thrown: unknown): unknown {
  if (thrown instanceof DomainError) return thrown;
  if (isDatabaseUnavailable(thrown)) return new ServiceUnavailableError();
  return thrown;
}

/** A duplicate-key error of SQLite, PostgreSQL (23505) or MySQL/MariaDB (ER_DUP_ENTRY). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === '23505' || code === 'ER_DUP_ENTRY');
}
