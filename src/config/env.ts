import { ConfigObject, registerAs } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { Matches, validateSync, ValidationError } from 'class-validator';

const PREFIX = 'Invalid configuration: ';

/**
 * Raised when settings are missing or malformed. Each problem names its variable; `problems`
 * lists them one by one, so start-up can report every problem of every namespace at once.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = (typeof problems === 'string' ? [problems] : problems).map((problem) =>
      problem.startsWith(PREFIX) ? problem.slice(PREFIX.length) : problem,
    );
    super(`${PREFIX}${list.join('; ')}`);
    this.problems = list;
  }
}

/**
 * Reads and validates the variables one namespace needs. `envClass` declares them with
 * class-validator decorators; values arrive as strings and are converted by its `@Type()`s.
 * This and the namespace files beside it are the only readers of `process.env`.
 *
 * Throws a ConfigError naming every bad variable; or, given a `problems` list, adds them to it
 * and returns the (partly invalid) values, so the caller can check more before throwing once.
 */
export function readEnv<T extends object>(envClass: new () => T, env: NodeJS.ProcessEnv = process.env, problems?: string[]): T {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    // An empty variable counts as unset, so `FOO=` in a .env file falls back to the default.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const instance = plainToInstance(envClass, raw, { excludeExtraneousValues: false });
  const found = validateSync(instance, { skipMissingProperties: false }).map(describe);
  if (found.length > 0) {
    if (!problems) throw new ConfigError(found);
    problems.push(...found);
  }
  return instance;
}

function describe(error: ValidationError): string {
  // class-validator's messages already start with the variable name.
  const reasons = Object.values(error.constraints ?? {});
  return reasons.length > 0 ? reasons.join(', ') : `${error.property} is invalid`;
}

/** Throws one ConfigError with every problem collected, if there is any. */
export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Runs every namespace loader and throws one ConfigError listing the problems of all of them,
 * so an operator fixes a configuration in one pass rather than one error per start.
 */
export function validateAll(loaders: ReadonlyArray<() => unknown>): void {
  const problems: string[] = [];
  for (const load of loaders) {
    try {
      load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  throwIfProblems(problems);
}

export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'production';
}

/** The spellings every boolean setting accepts (any case); anything else is refused. */
const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];
const BOOLEAN_WORDS = new RegExp(`^(${[...TRUE_WORDS, ...FALSE_WORDS].join('|')})$`, 'i');

/** Validates a boolean setting: true/false, 1/0 or yes/no. */
export function IsBooleanSetting(): PropertyDecorator {
  return Matches(BOOLEAN_WORDS, { message: '$property must be true or false (1/0 and yes/no work too)' });
}

/** The value of a boolean setting validated by IsBooleanSetting; `fallback` when unset. */
export function booleanSetting(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return TRUE_WORDS.includes(value.toLowerCase());
}

/**
 * Whether the console senders may print one-time codes to the log. Never in production; otherwise
 * only against the built-in simulator (no MESIBO_APP_TOKEN), in the test suite, or when the
 * operator says so with DEV_PRINT_CODES=true: with a real App Token and NODE_ENV forgotten, a
 * printed code would log real users in.
 */
export function codePrintingAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  if (isProduction(env)) return false;
  if (env.NODE_ENV === 'test') return true;
  if (env.MESIBO_APP_TOKEN === undefined || env.MESIBO_APP_TOKEN === '') return true;
  return BOOLEAN_WORDS.test(env.DEV_PRINT_CODES ?? '') && booleanSetting(env.DEV_PRINT_CODES, false);
}

/** Splits a comma-separated setting into trimmed, non-empty entries. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/**
 * Loads `.env` from the working directory into the environment, if there is one; set variables
 * win. Skipped under the test runner (NODE_ENV=test or jest), so a developer's `.env` never
 * changes what the tests do: they run on their own settings.
 */
export function loadDotEnvFile(path = '.env', env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NODE_ENV === 'test' || env.JEST_WORKER_ID !== undefined) return false;
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}

/**
 * A settings namespace whose loader lives with the feature it configures (a login method's folder,
 * so that the method stays one module). The loader gets the environment as an argument: this, like
 * the namespaces of src/config, is where the process environment is read.
 */
export function settingsFromEnvironment<T extends ConfigObject>(token: string, load: (env: NodeJS.ProcessEnv) => T) {
  return registerAs(token, () => load(process.env));
}

let environmentTurn: Promise<unknown> = Promise.resolve();

/**
 * Runs `start` with `settings` in the process environment, then puts every variable back as it
 * was: how a service started inside another program (the testing kit) gets settings of its own.
 * Starts take turns, so two never see each other's settings.
 */
export function withEnvironment<T>(settings: Readonly<Record<string, string>>, start: () => Promise<T>): Promise<T> {
  const run = environmentTurn.then(async () => {
    const before = new Map(Object.keys(settings).map((name) => [name, process.env[name]]));
    Object.assign(process.env, settings);
    try {
      return await start();
    } finally {
      for (const [name, value] of before) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
  environmentTurn = run.catch(() => undefined);
  return run;
}

/** This process's environment with `settings` over it: the environment of a service started as a child process. */
export function environmentWith(settings: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...process.env, ...settings };
}
