import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-alone fake of the mesibo backend API (JSON flavour) over real HTTP, for local runs and
 * tests. It implements the ops this service uses with mesibo's request and reply shapes, checks the
 * App Token, and keeps its users in memory. It is never part of the production path.
 */
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

type Reply = { status: number; body: Record<string, unknown> };

const MAX_BODY_BYTES = 1024 * 1024;

export class MesiboSimulator {
  readonly users = new Map<string, SimulatedUser>();
  /** Every op received, in order, without the App Token. */
  readonly requests: Array<{ op: unknown; body: Record<string, unknown> }> = [];
  /** Added before every answer, to play a slow mesibo. */
  delayMs = 0;
  private nextUid = 1000;
  private failures: number[] = [];
  private server?: Server;

  constructor(private readonly options: MesiboSimulatorOptions) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the mesibo simulator is not listening');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}/backend/`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Makes the next `count` requests fail with `status` before being handled (to test retries). */
  failNext(count: number, status = 503): void {
    this.failures.push(...Array<number>(count).fill(status));
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
    const reply = await this.route(req);
    if (this.delayMs > 0) await new Promise((done) => setTimeout(done, this.delayMs));
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    if (req.method !== 'POST') return { status: 405, body: { result: false, error: 'BADMETHOD' } };
    const text = await readBody(req);
    const failure = this.failures.shift();
    if (failure !== undefined) return { status: failure, body: { result: false, error: 'SIMULATED' } };

    let body: unknown;
    try {
      body = JSON.parse(text ?? '');
    } catch {
      return { status: 400, body: { result: false, error: 'BADREQUEST' } };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: { result: false, error: 'BADREQUEST' } };
    }
    const { token, ...rest } = body as Record<string, unknown>;
    const op = rest.op;
    this.requests.push({ op, body: rest });
    if (token !== this.options.appToken) {
      return {
        status: 200,
        body: { op, result: false, error: 'AUTHFAIL', code: 401, cause: 'Invalid or expired app token', properties: ['token'] },
      };
    }
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
