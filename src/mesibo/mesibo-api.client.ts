import { Logger } from '@nestjs/common';
import { Agent, request } from 'undici';
import { MesiboMisconfiguredError, MesiboRefusedError, MesiboUnavailableError } from '../common/errors';

export interface MesiboEndpoint {
  apiUrl: string;
  appToken: string;
  timeoutMs: number;
  retries: number;
}

/** The part of every mesibo backend reply we rely on; op-specific objects ride along. */
export interface MesiboReply {
  op?: string;
  result: boolean;
  error?: string;
  [field: string]: unknown;
}

/** Per-call adjustments: the health probe asks once, and logs state changes itself. */
export interface MesiboCallOptions {
  /** Overrides the configured number of retries. */
  retries?: number;
  /** Log nothing about this call (its caller reports the outcome). */
  quiet?: boolean;
}

/** Error values with which mesibo says our App Token is wrong, expired or disabled. */
const APP_TOKEN_ERRORS = new Set(['AUTHFAIL', 'INVALIDTOKEN', 'TOKENBREACH']);

/**
 * The HTTP client of the mesibo backend API (JSON flavour): one POST per op, with the App Token.
 * Network errors, timeouts and 5xx answers are retried with backoff; everything else is final.
 * Failures surface as typed domain errors. The App Token never reaches a log line.
 */
export type MesiboCallOutcome = 'ok' | 'refused' | 'unavailable';
/** Told about every call: its op, how it ended, and how long it took in seconds. */
export type MesiboCallObserver = (op: string, outcome: MesiboCallOutcome, seconds: number) => void;

export class MesiboApiClient {
  private readonly logger = new Logger(MesiboApiClient.name);
  // A keep-alive pool: a fresh connection per login costs far more than the call itself.
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });

  constructor(
    private readonly endpoint: MesiboEndpoint,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
    private readonly observe?: MesiboCallObserver,
  ) {}

  /** Calls `op`, retrying transient failures; each call (retries included) is reported to the observer. */
  async call(op: string, payload: Record<string, unknown>, options: MesiboCallOptions = {}): Promise<MesiboReply> {
    if (!this.observe) return this.callWithRetries(op, payload, options);
    const started = performance.now();
    let outcome: MesiboCallOutcome = 'unavailable';
    try {
      const reply = await this.callWithRetries(op, payload, options);
      outcome = 'ok';
      return reply;
    } catch (error) {
      if (error instanceof MesiboRefusedError || error instanceof MesiboMisconfiguredError) outcome = 'refused';
      throw error;
    } finally {
      this.observe(op, outcome, (performance.now() - started) / 1000);
    }
  }

  private async callWithRetries(op: string, payload: Record<string, unknown>, options: MesiboCallOptions): Promise<MesiboReply> {
    const body = JSON.stringify({ ...payload, op, token: this.endpoint.appToken });
    const logger = options.quiet ? undefined : this.logger;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(op, body);
      if (outcome.kind === 'reply') return this.interpret(op, outcome.reply, logger);
      if (attempt >= (options.retries ?? this.endpoint.retries)) {
        logger?.error(`mesibo ${op} failed after ${attempt + 1} attempts: ${outcome.reason}`);
        throw new MesiboUnavailableError();
      }
      logger?.warn(`mesibo ${op} attempt ${attempt + 1} failed (${outcome.reason}); retrying`);
      await this.sleep(100 * 2 ** attempt + Math.floor(Math.random() * 50));
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async attempt(
    op: string,
    body: string,
  ): Promise<{ kind: 'reply'; reply: MesiboReply } | { kind: 'retry'; reason: string }> {
    try {
      const response = await request(this.endpoint.apiUrl, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        headersTimeout: this.endpoint.timeoutMs,
        bodyTimeout: this.endpoint.timeoutMs,
        signal: AbortSignal.timeout(this.endpoint.timeoutMs),
      });
      const text = await response.body.text();
      // mesibo explains failures in the body, whatever the status; read it first.
      const reply = parseReply(text);
      if (reply && response.statusCode < 500) return { kind: 'reply', reply };
      // A rejected App Token is final whatever the status; any other 5xx is worth another try.
      if (reply?.error !== undefined && APP_TOKEN_ERRORS.has(reply.error)) return { kind: 'reply', reply };
      if (response.statusCode >= 500) return { kind: 'retry', reason: `HTTP ${response.statusCode}` };
      this.logger.error(`mesibo ${op} answered HTTP ${response.statusCode} with a body that is not a mesibo reply`);
      throw new MesiboUnavailableError();
    } catch (error) {
      if (error instanceof MesiboUnavailableError) throw error;
      return { kind: 'retry', reason: describeNetworkError(error) };
    }
  }

  private interpret(op: string, reply: MesiboReply, logger: Logger | undefined): MesiboReply {
    if (reply.result === true) return reply;
    if (reply.error !== undefined && APP_TOKEN_ERRORS.has(reply.error)) {
      logger?.error(`mesibo refused the App Token (${reply.error}); check MESIBO_APP_TOKEN`);
      throw new MesiboMisconfiguredError();
    }
    // The reply of a failed op carries no secret; log it whole, since mesibo's error values are not documented.
    logger?.warn(`mesibo ${op} refused: ${JSON.stringify(reply)}`);
    throw new MesiboRefusedError(reply.error);
  }
}

function parseReply(text: string): MesiboReply | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'result' in parsed) return parsed as MesiboReply;
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
