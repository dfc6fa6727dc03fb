/*
 * Operator commands: `npm run cli -- <command> [arguments]`. The same settings as the service
 * (the environment, then `.env`); secrets are read from stdin, never from arguments (which other
 * users of the machine can see in the process list).
 */
import { ConsoleLogger, INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { CLI_ACTOR } from './admin/admin-actor';
import { AdminKeysService } from './admin/admin-keys.service';
import { SupportTokens } from './admin/support-tokens.service';
import { UserAdministration } from './admin/user-administration.service';
import { AppModule } from './app.module';
import { AuditTrail } from './audit/audit-trail';
import { DomainError, errorMessage } from './common/errors';
import { allConfigs, ConfigError } from './config';
import { loadDotEnvFile, validateAll } from './config/env';
import { applyPendingMigrations } from './database/migrate';
import { LOGIN_METHOD_SETTINGS } from './login-methods';
import { ExpiredRecordsCleanup } from './maintenance/expired-records-cleanup';
import { UsernameAccountsService } from './methods/username/username-accounts.service';

interface CommandContext {
  /** The service's modules, started on first use (without its HTTP server). */
  app(): Promise<INestApplicationContext>;
  /** Everything piped in: where secrets come from. */
  stdin(): Promise<string>;
  /** A line for the operator on stderr, so that stdout carries only the answer (a key, a token). */
  note(line: string): void;
}

interface Command {
  usage: string;
  run(context: CommandContext, args: string[]): Promise<string>;
}

type StringOptions = Record<string, { type: 'string' }>;

/** The arguments of a command that takes exactly `count` positionals and these options (UsageError otherwise). */
function argsOf<O extends StringOptions>(args: string[], count: number, options?: O): { positionals: string[]; values: { [K in keyof O]?: string } } {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: options ?? {} });
  if (positionals.length !== count) throw new UsageError();
  return { positionals, values };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

const COMMANDS: Record<string, Command> = {
  'username:create': {
    usage: 'username:create <username> [--name <display name>]   (the password on stdin)',
    async run(context, args) {
      const { positionals, values } = argsOf(args, 1, { name: { type: 'string' } });
      const password = await context.stdin();
      const username = await (await context.app()).get(UsernameAccountsService).create(positionals[0], password, values.name);
      return `Created username account "${username}".`;
    },
  },
  'audit:list': {
    usage: 'audit:list [--user <user id>] [--type <event type, e.g. login.failed>] [--since <ISO date>] [--limit <n>]',
    async run(context, args) {
      const { values } = argsOf(args, 0, { user: { type: 'string' }, type: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } });
      const since = values.since === undefined ? undefined : Date.parse(values.since);
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (Number.isNaN(since) || (limit !== undefined && !Number.isInteger(limit))) throw new UsageError();
      const events = await (await context.app()).get(AuditTrail).list({ userId: values.user, type: values.type, since, limit });
      // One JSON object per line, newest first: easy to read, grep and pipe to jq.
      return events.map((event) => JSON.stringify({ ...event, occurred_at: iso(event.occurred_at) })).join('\n');
    },
  },
  'admin:create-key': {
    usage: 'admin:create-key <name>   (prints the key, once: only its hash is kept)',
    async run(context, args) {
      const { positionals } = argsOf(args, 1);
      const key = await (await context.app()).get(AdminKeysService).create(positionals[0], CLI_ACTOR);
      context.note(`Created admin key "${positionals[0]}". Store it now: it cannot be shown again.`);
      return key;
    },
  },
  'admin:revoke-key': {
    usage: 'admin:revoke-key <name>',
    async run(context, args) {
      const { positionals } = argsOf(args, 1);
      await (await context.app()).get(AdminKeysService).revoke(positionals[0], CLI_ACTOR);
      return `Revoked admin key "${positionals[0]}".`;
    },
  },
  'admin:list-keys': {
    usage: 'admin:list-keys   (names and dates, never the keys)',
    async run(context, args) {
      argsOf(args, 0);
      const keys = await (await context.app()).get(AdminKeysService).list();
      return keys
        .map((key) => JSON.stringify({ name: key.name, createdAt: iso(key.created_at), lastUsedAt: iso(key.last_used_at), revokedAt: iso(key.revoked_at) }))
        .join('\n');
    },
  },
  'user:disable': {
    usage: 'user:disable <user id | address>   (ends every session, revokes its tokens at mesibo, refuses its logins)',
    async run(context, args) {
      const { positionals } = argsOf(args, 1);
      const users = (await context.app()).get(UserAdministration);
      const user = await users.disable((await users.find(positionals[0])).id, CLI_ACTOR);
      return `Disabled user ${user.id}.`;
    },
  },
  'user:enable': {
    usage: 'user:enable <user id | address>',
    async run(context, args) {
      const { positionals } = argsOf(args, 1);
      const users = (await context.app()).get(UserAdministration);
      const user = await users.enable((await users.find(positionals[0])).id, CLI_ACTOR);
      return `Enabled user ${user.id}.`;
    },
  },
  'user:token': {
    usage: 'user:token <user id | address> --appid <app id>   (a mesibo token for support: a session of the login method "admin")',
    async run(context, args) {
      const { positionals, values } = argsOf(args, 1, { appid: { type: 'string' } });
      if (!values.appid) throw new UsageError();
      const app = await context.app();
      const user = await app.get(UserAdministration).find(positionals[0]);
      const issued = await app.get(SupportTokens).issue(user, values.appid, CLI_ACTOR);
      context.note(`A new session of user ${issued.userId}; it ends like any other (user:disable, or the admin API's sessions/end).`);
      return JSON.stringify({ userId: issued.userId, address: issued.address, token: issued.token, expiresAt: issued.expiresAt.toISOString() });
    },
  },
  migrate: {
    usage: 'migrate   (applies pending migrations, as `npm run migrate` does)',
    run(_context, args) {
      argsOf(args, 0);
      // Not through the service's modules: starting them would apply the migrations on its own (DB_MIGRATE).
      return applyPendingMigrations();
    },
  },
  purge: {
    usage: 'purge   (runs the clean-up of expired records once)',
    async run(context, args) {
      argsOf(args, 0);
      const report = await (await context.app()).get(ExpiredRecordsCleanup).runOnce();
      if (report === 'skipped') return 'Skipped: another instance ran the clean-up within this interval (CLEANUP_INTERVAL_SECONDS); try again after it.';
      return `Deleted: ${Object.entries(report)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(', ')}.`;
    },
  },
};

class UsageError extends Error {}

/** The service's log lines go to stderr, so stdout carries only the command's answer. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel): void {
    super.printMessages(messages, context, logLevel, 'stderr');
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`Usage: npm run cli -- <command>\nCommands:\n${Object.values(COMMANDS).map((c) => `  ${c.usage}\n`).join('')}`);
    return 2;
  }
  let app: INestApplicationContext | undefined;
  const context: CommandContext = {
    async app() {
      if (!app) {
        loadDotEnvFile();
        validateAll([...allConfigs, ...LOGIN_METHOD_SETTINGS]);
        app = await NestFactory.createApplicationContext(AppModule.register(), { logger: new StderrLogger({ logLevels: ['error', 'warn'] }) });
      }
      return app;
    },
    stdin: readSecretFromStdin,
    note: (line) => process.stderr.write(`${line}\n`),
  };
  try {
    process.stdout.write(`${await command.run(context, args)}\n`);
    return 0;
  } catch (error) {
    // parseArgs throws TypeErrors with codes for unknown or malformed options.
    if (error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`Usage: npm run cli -- ${command.usage}\n`);
      return 2;
    }
    throw error;
  } finally {
    await app?.close();
  }
}

/** All of stdin without its final newline; refuses a terminal, where the secret would be echoed. */
async function readSecretFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new DomainSafeError('Pipe the password on stdin, e.g. `read -rs PW; printf %s "$PW" | npm run cli -- ...`.');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

class DomainSafeError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Domain errors and configuration problems are meant for people; anything else gets its stack.
    const known = error instanceof DomainError || error instanceof ConfigError || error instanceof DomainSafeError;
    process.stderr.write(`${known ? errorMessage(error) : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
