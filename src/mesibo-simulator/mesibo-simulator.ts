import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { appTokenRefusal, faultFrom, MesiboFault, MesiboFaultMode, NO_FAULT } from './simulator-faults';
import { listen } from '../common/listen';

export interface SimulatedUser {
  uid: number;
  address: string;
  name?: string;
  /** Live user tokens and the appid each was issued for. */
  tokens: Map<string, { appid: string; expiresAt: number }>;
}

export interface MesiboSimulatorOptions {
  appToken: string;
  port?: number;
  host?: string;
}

type Reply = { status: number; body: Record<string, unknown> | string; headers?: Record<string, string> };

const MAX_BODY_BYTES = 1024 * 1024;

/** The simulator's own endpoint for switching faults; the mesibo API is every other path. */
export const FAULT_CONTROL_PATH = '/control/faults';

/**
 * A stand-alone fake of the mesibo backend API (JSON flavour) over real HTTP, for local runs and
 * tests. It implements the ops this service uses with mesibo's request and reply shapes, checks the
 * App Token, and keeps its users in memory. It is never part of the production path.
 *
 * It can play failures (`setFault`, or `POST /control/faults` with the App Token as bearer key):
 * see simulator-faults.ts.
 */
export class MesiboSimulator {
  readonly users = new Map<string, SimulatedUser>();
  /** Every op received, in order, without the App Token. */
  readonly requests: Array<{ op: unknown; body: Record<string, unknown> }> = [];
  private nextUid = 1000;
  private failures: number[] = [];
  private currentFault: MesiboFault = NO_FAULT;
  /** Answers held by a `slow` fault: released at once when the simulator stops. */
  private readonly heldAnswers = new Set<() => void>();
  private server?: Server;

  constructor(private readonly options: MesiboSimulatorOptions) {}

  /** The mesibo backend API URL, for MESIBO_API_URL. */
  get url(): string {
    return `${this.origin}/backend/`;
  }

  /** The fault control endpoint (GET to read, POST `{"mode", "delayMs"?}` to set; App Token as bearer key). */
  get controlUrl(): string {
    return `${this.origin}${FAULT_CONTROL_PATH}`;
  }

  get port(): number {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the mesibo simulator is not listening');
    return address.port;
  }

  get fault(): MesiboFault {
    return { ...this.currentFault };
  }

  /** Delay before every answer: the `slow` fault's, 0 without it. Setting it plays `slow` (or, with 0, `none`). */
  get delayMs(): number {
    return this.currentFault.mode === 'slow' ? this.currentFault.delayMs : 0;
  }

  set delayMs(ms: number) {
    if (ms > 0) this.setFault('slow', { delayMs: ms });
    else this.setFault('none');
  }

  private get origin(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await listen(server, this.options.port ?? 0, this.options.host ?? '127.0.0.1');
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const release of [...this.heldAnswers]) release();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Makes the next `count` requests fail with `status` before being handled (to test retries). */
  failNext(count: number, status = 503): void {
    this.failures.push(...Array<number>(count).fill(status));
  }

  /**
   * Plays a failure on every call from now on, until set back to `none`: `down`, `slow` (each
   * answer held `delayMs`, default 10 s) or `authfail`. Throws a RangeError for a bad mode or delay.
   */
  setFault(mode: MesiboFaultMode, options: { delayMs?: number } = {}): void {
    const fault = faultFrom(mode, options.delayMs);
    if (typeof fault === 'string') throw new RangeError(fault);
    this.currentFault = fault;
  }

  findUserByToken(token: string): SimulatedUser | undefined {
    return [...this.users.values()].find((user) => user.tokens.has(token));
  }

  /**
   * Whether mesibo would still accept this user token: issued by `useradd`, not removed by
   * `usertokendel` (or with its user by `userdel`), and not expired.
   */
  isTokenValid(token: string): boolean {
    const issued = this.findUserByToken(token)?.tokens.get(token);
    return issued !== undefined && issued.expiresAt > Date.now();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    // The control endpoint is never subject to the faults, so a suite can always switch them off.
    const reply = path === FAULT_CONTROL_PATH ? await this.control(req) : await this.route(req);
    if (path !== FAULT_CONTROL_PATH && this.currentFault.mode === 'slow') await this.hold(this.currentFault.delayMs);
    const json = typeof reply.body !== 'string';
    res.writeHead(reply.status, { 'content-type': json ? 'application/json' : 'text/plain', ...reply.headers });
    res.end(json ? JSON.stringify(reply.body) : reply.body);
  }

  /** Waits `ms`, or less if the simulator stops meanwhile. */
  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.heldAnswers.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      timer.unref();
      this.heldAnswers.add(release);
    });
  }

  private async control(req: IncomingMessage): Promise<Reply> {
    const text = await readBody(req);
    if (!this.isAppToken(bearerKey(req.headers.authorization))) {
      return { status: 401, body: { error: 'UNAUTHORIZED', message: 'send the App Token as Authorization: Bearer <token>' }, headers: { 'www-authenticate': 'Bearer' } };
    }
    if (req.method === 'GET') return { status: 200, body: { ...this.currentFault } };
    if (req.method !== 'POST') return { status: 405, body: { error: 'BADMETHOD' }, headers: { allow: 'GET, POST' } };
    const input = parseObject(text);
    const fault = input ? faultFrom(input.mode, input.delayMs) : 'the body must be a JSON object such as {"mode":"down"}';
    if (typeof fault === 'string') return { status: 400, body: { error: 'BADREQUEST', message: fault } };
    this.currentFault = fault;
    return { status: 200, body: { ...fault } };
  }

  private isAppToken(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    // Compared as digests, so neither the length nor the content leaks through timing.
    const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
    return timingSafeEqual(digest(candidate), digest(this.options.appToken));
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    if (req.method !== 'POST') return { status: 405, body: { result: false, error: 'BADMETHOD' } };
    const text = await readBody(req);
    const failure = this.failures.shift();
    if (failure !== undefined) return { status: failure, body: { result: false, error: 'SIMULATED' } };
    // An outage: the request never reaches mesibo, so it is not recorded.
    if (this.currentFault.mode === 'down') return { status: 503, body: 'mesibo simulator: down (a simulated outage)' };

    const body = parseObject(text);
    if (!body) return { status: 400, body: { result: false, error: 'BADREQUEST' } };
    const { token, ...rest } = body;
    const op = rest.op;
    this.requests.push({ op, body: rest });
    if (token !== this.options.appToken || this.currentFault.mode === 'authfail') return { status: 200, body: appTokenRefusal(op) };
    const user = (typeof rest.user === 'object' && rest.user !== null ? rest.user : {}) as Record<string, unknown>;
    switch (op) {
      case 'useradd':
        return this.userAdd(user);
      case 'usertokendel':
        return this.userTokenDelete(user);
      case 'userdel':
        return this.userDelete(user);
      default:
        return { status: 200, body: { op, result: false, error: 'BADOP' } };
    }
  }

  private userAdd(input: Record<string, unknown>): Reply {
    const address = input.address;
    if (typeof address !== 'string' || address.trim() === '') {
      return { status: 200, body: { op: 'useradd', result: false, error: 'MISSINGADDRESS' } };
    }
    let user = this.users.get(address);
    if (!user) {
      user = { uid: this.nextUid++, address, tokens: new Map() };
      this.users.set(address, user);
    }
    if (typeof input.name === 'string') user.name = input.name;

    const reply: Record<string, unknown> = { uid: user.uid, address };
    const tokenSpec = input.token as { appid?: unknown; expiry?: unknown } | undefined;
    if (tokenSpec && typeof tokenSpec === 'object') {
      if (typeof tokenSpec.appid !== 'string' || tokenSpec.appid === '') {
        return { status: 200, body: { op: 'useradd', result: false, error: 'MISSINGAPPID' } };
      }
      const minutes = typeof tokenSpec.expiry === 'number' ? tokenSpec.expiry : 525600;
      const token = randomBytes(32).toString('hex');
      user.tokens.set(token, { appid: tokenSpec.appid, expiresAt: Date.now() + minutes * 60_000 });
      reply.token = token;
    }
    return { status: 200, body: { op: 'useradd', result: true, user: reply } };
  }

  private userTokenDelete(input: Record<string, unknown>): Reply {
    const spec = input.token as { token?: unknown } | undefined;
    const token = typeof spec?.token === 'string' ? spec.token : undefined;
    const user = token ? this.findUserByToken(token) : undefined;
    if (!user || !token) return { status: 200, body: { op: 'usertokendel', result: false, error: 'NOTOKEN' } };
    user.tokens.delete(token);
    return { status: 200, body: { op: 'usertokendel', result: true } };
  }

  private userDelete(input: Record<string, unknown>): Reply {
    const user = [...this.users.values()].find((u) => u.address === input.address || String(u.uid) === String(input.uid));
    if (!user) return { status: 200, body: { op: 'userdel', result: false, error: 'NOUSER' } };
    this.users.delete(user.address);
    return { status: 200, body: { op: 'userdel', result: true } };
  }
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
  });
}

/** A random App Token for a simulator that only this process talks to. */
export function randomAppToken(): string {
  return randomBytes(24).toString('hex');
}
