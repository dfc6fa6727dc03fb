/**
 * The reference for bench/login-flow.ts: the phone login flow on a bare `node:http` server, all in
 * memory, with nothing the flow could do without. It answers the same two requests as the service:
 *
 *   POST /v1/auth/otp         {phone, appid}       → a random code, kept as an HMAC, POSTed to the
 *                                                     SMS webhook; 202 once the webhook answered
 *   POST /v1/auth/otp/verify  {phone, appid, otp}  → the code checked and spent, mesibo `useradd`
 *                                                     called; 200 with the token
 *
 * Both outgoing calls go over keep-alive agents. No database, framework, validation library or
 * limits: what is left is HTTP, JSON, the HMAC and the two calls, a floor for the service's cost.
 *
 * It imports node built-ins only: login-flow.ts transpiles it to plain JavaScript and runs it with
 * `node`, so its CPU and memory are not those of a TypeScript compiler. Settings come from the
 * environment (below); it prints `listening <port>` once it accepts requests.
 */
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

const WEBHOOK_URL = new URL(required('WEBHOOK_URL'));
const MESIBO_URL = new URL(required('MESIBO_API_URL'));
const MESIBO_APP_TOKEN = required('MESIBO_APP_TOKEN');
const OTP_SECRET = required('OTP_SECRET');
const CODE_TTL_MS = 300_000;
const TOKEN_EXPIRY_MINUTES = 525_600;

/** As many sockets per upstream as the service's mesibo client allows (undici, 32 connections). */
const upstream = new Agent({ keepAlive: true, maxSockets: 32 });

interface PendingCode {
  hmac: Buffer;
  expiresAt: number;
}

const pending = new Map<string, PendingCode>();
const users = new Map<string, { id: string; mesiboUid: string }>();

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function hmacOf(phone: string, code: string): Buffer {
  return createHmac('sha256', OTP_SECRET).update(`${phone}:${code}`).digest();
}

function postJson(url: URL, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      { method: 'POST', agent: upstream, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
      } catch {
        resolve({});
      }
    });
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** International digits only (the benchmark sends them that way); the service's parsing is richer. */
function phoneOf(body: Record<string, unknown>): string | undefined {
  return typeof body.phone === 'string' && /^[1-9]\d{7,14}$/.test(body.phone) ? body.phone : undefined;
}

async function requestCode(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const phone = phoneOf(body);
  if (!phone || typeof body.appid !== 'string') return reply(res, 400, { code: 'bad_request' });
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = Date.now() + CODE_TTL_MS;
  pending.set(phone, { hmac: hmacOf(phone, code), expiresAt });
  const sent = await postJson(WEBHOOK_URL, { to: phone, code, text: `Your verification code is ${code}`, channel: 'sms' });
  if (sent.status < 200 || sent.status >= 300) return reply(res, 502, { code: 'send_failed' });
  reply(res, 202, { phone, expiresAt: new Date(expiresAt).toISOString(), resendAfterSeconds: 30 });
}

async function verifyCode(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const phone = phoneOf(body);
  if (!phone || typeof body.appid !== 'string' || typeof body.otp !== 'string') return reply(res, 400, { code: 'bad_request' });
  const entry = pending.get(phone);
  if (!entry || entry.expiresAt < Date.now() || !timingSafeEqual(entry.hmac, hmacOf(phone, body.otp))) {
    return reply(res, 401, { code: 'invalid_code' });
  }
  pending.delete(phone);
  const added = await postJson(MESIBO_URL, {
    op: 'useradd',
    token: MESIBO_APP_TOKEN,
    user: { address: phone, token: { appid: body.appid, expiry: TOKEN_EXPIRY_MINUTES } },
  });
  const user = (added.body as { result?: boolean; user?: { uid?: unknown; token?: unknown } } | undefined)?.user;
  if (added.status !== 200 || typeof user?.token !== 'string') return reply(res, 502, { code: 'mesibo_unavailable' });
  const existing = users.get(phone);
  const account = existing ?? { id: randomUUID(), mesiboUid: String(user.uid) };
  users.set(phone, account);
  reply(res, 200, {
    token: user.token,
    address: phone,
    phone,
    expiresAt: new Date(Date.now() + TOKEN_EXPIRY_MINUTES * 60_000).toISOString(),
    userId: account.id,
    newUser: existing === undefined,
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/health/live') return reply(res, 200, { status: 'ok' });
  if (req.method !== 'POST') return reply(res, 404, { code: 'not_found' });
  const body = await readJson(req);
  if (req.url === '/v1/auth/otp') return requestCode(body, res);
  if (req.url === '/v1/auth/otp/verify') return verifyCode(body, res);
  reply(res, 404, { code: 'not_found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) reply(res, 500, { code: 'internal' });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
