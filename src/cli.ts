/*
 * Operator commands: `npm run cli -- <command> [arguments]`. The same settings as the service
 * (the environment, then `.env`); secrets are read from stdin, never from arguments (which other
 * users of the machine can see in the process list).
 */
import { ConsoleLogger, INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module';
import { DomainError, errorMessage } from './common/errors';
import { allConfigs, ConfigError } from './config';
import { loadDotEnvFile, validateAll } from './config/env';
import { LOGIN_METHOD_SETTINGS } from './login-methods';
import { UsernameAccountsService } from './methods/username/username-accounts.service';
import { AuditTrail } from './audit/audit-trail';

interface Command {
  usage: string;
  run(app: INestApplicationContext, args: string[], stdin: () => Promise<string>): Promise<string>;
}

const COMMANDS: Record<string, Command> = {
  'username:create': {
    usage: 'username:create <username> [--name <display name>]   (the password on stdin)',
    async run(app, args, stdin) {
      const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' } } });
      if (positionals.length !== 1) throw new UsageError();
      const password = await stdin();
      const username = await app.get(UsernameAccountsService).create(positionals[0], password, values.name);
      return `Created username account "${username}".`;
    },
  },
  'audit:list': {
    usage: 'audit:list [--user <user id>] [--type <login.failed|login.succeeded|code.requested|limit.hit>] [--since <ISO date>] [--limit <n>]',
    async run(app, args) {
      const { positionals, values } = parseArgs({
        args,
        allowPositionals: true,
        options: { user: { type: 'string' }, type: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
      });
      const since = values.since === undefined ? undefined : Date.parse(values.since);
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (positionals.length > 0 || Number.isNaN(since) || (limit !== undefined && !Number.isInteger(limit))) throw new UsageError();
      const events = await app.get(AuditTrail).list({ userId: values.user, type: values.type, since, limit });
      // One JSON object per line, newest first: easy to read, grep and pipe to jq.
      return events.map((event) => JSON.stringify({ ...event, occurred_at: new Date(Number(event.occurred_at)).toISOString() })).join('\n');
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
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    process.stderr.write(`Usage: npm run cli -- <command>\nCommands:\n${Object.values(COMMANDS).map((c) => `  ${c.usage}\n`).join('')}`);
    return 2;
  }
  loadDotEnvFile();
  validateAll([...allConfigs, ...LOGIN_METHOD_SETTINGS]);
  const app = await NestFactory.createApplicationContext(AppModule.register(), { logger: new StderrLogger({ logLevels: ['error', 'warn'] }) });
  try {
    process.stdout.write(`${await command.run(app, args, readSecretFromStdin)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Usage: npm run cli -- ${command.usage}\n`);
      return 2;
    }
    throw error;
  } finally {
    await app.close();
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
