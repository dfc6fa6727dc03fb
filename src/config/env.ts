import { existsSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** Raised when a setting is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the variables one namespace needs. `envClass` declares them with
 * class-validator decorators; values arrive as strings and are converted by its `@Type()`s.
 * This and the namespace files beside it are the only readers of `process.env`.
 */
export function readEnv<T extends object>(
  envClass: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    // An empty variable counts as unset, so `FOO=` in a .env file falls back to the default.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const instance = plainToInstance(envClass, raw, { excludeExtraneousValues: false });
  const errors = validateSync(instance, { skipMissingProperties: false });
  if (errors.length > 0) {
    throw new ConfigError(`Invalid configuration: ${errors.map(describe).join('; ')}`);
  }
  return instance;
}

function describe(error: ValidationError): string {
  // class-validator's messages already start with the variable name.
  const reasons = Object.values(error.constraints ?? {});
  return reasons.length > 0 ? reasons.join(', ') : `${error.property} is invalid`;
}

export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'production';
}

/** Splits a comma-separated setting into trimmed, non-empty entries. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Loads `.env` from the working directory into the environment, if there is one; set variables win. */
export function loadDotEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
