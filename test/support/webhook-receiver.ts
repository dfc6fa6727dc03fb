import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { webcrypto } from 'node:crypto';

export interface ReceivedCall {
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived, which is what the signature covers. */
  body: string;
}

/** What the receiver answers one call with; `delayMs` holds the answer back. */
export interface ReceiverAnswer {
  status?: number;
  body?: string;
  delayMs?: number;
}

/**
 * A real HTTP endpoint standing in for the owner's webhook receiver or before-token hook. It keeps
 * every call, answers with `answer` (200 `{}` unless a test sets it), and can be stopped and
 * started again on the same port, as a receiver that goes down and comes back.
 */
export class WebhookReceiver {
  readonly calls: ReceivedCall[] = [];
  answer: (call: ReceivedCall) => ReceiverAnswer = () => ({ status: 200, body: '{}' });
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the port and every open connection (kept-alive ones too): the receiver is down. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const call = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.calls.push(call);
    const answer = this.answer(call);
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(answer.body ?? '{}');
  }
}

/**
 * Checks a call's Standard Webhooks signature, written apart from the service's signer (WebCrypto,
 * not node's createHmac; the header may list several signatures): true when one `v1` signature is
 * the HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under the `whsec_` secret's key.
 */
export async function hasValidSignature(call: ReceivedCall, secret: string): Promise<boolean> {
  const id = call.headers['webhook-id'];
  const timestamp = call.headers['webhook-timestamp'];
  const signatures = call.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp)) return false;
  const key = await webcrypto.subtle.importKey('raw', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const content = new TextEncoder().encode(`${id}.${timestamp}.${call.body}`);
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) continue;
    if (await webcrypto.subtle.verify('HMAC', key, Buffer.from(signature, 'base64'), content)) return true;
  }
  return false;
}
