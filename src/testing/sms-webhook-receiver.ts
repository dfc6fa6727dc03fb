import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { listen } from '../common/listen';

/** What the service's webhook sender POSTs (see README, "Sending codes by SMS"). */
export interface WebhookMessage {
  to: string;
  code: string;
  text: string;
  channel: string;
}

export interface SmsWebhookReceiverOptions {
  onMessage(message: WebhookMessage): void;
  /** Asked once per message: true answers 502, as a failing SMS gateway would. */
  shouldRefuse(): boolean;
}

const MAX_BODY_BYTES = 64 * 1024;

/** An SMS gateway on loopback: the endpoint of OTP_WEBHOOK_URL. */
export class SmsWebhookReceiver {
  private server?: Server;

  constructor(private readonly options: SmsWebhookReceiverOptions) {}

  /** For OTP_WEBHOOK_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/sms`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      req.on('end', () => {
        const message = req.method === 'POST' && size <= MAX_BODY_BYTES ? parseMessage(Buffer.concat(chunks).toString('utf8')) : undefined;
        if (!message) return void res.writeHead(400).end();
        if (this.options.shouldRefuse()) return void res.writeHead(502).end();
        this.options.onMessage(message);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
      });
    });
    await listen(server, 0, '127.0.0.1');
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function parseMessage(text: string): WebhookMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof WebhookMessage, unknown>>;
    const { to, code, text: words, channel } = value;
    if (typeof to !== 'string' || typeof code !== 'string') return undefined;
    return { to, code, text: typeof words === 'string' ? words : '', channel: typeof channel === 'string' ? channel : 'sms' };
  } catch {
    return undefined;
  }
}
