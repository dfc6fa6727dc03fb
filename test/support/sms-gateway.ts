import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface GatewayMessage {
  to: string;
  code: string;
  text: string;
  channel: string;
}

/** A real HTTP endpoint standing in for an SMS gateway: the service's webhook sender posts to it. */
export class SmsGateway {
  readonly messages: GatewayMessage[] = [];
  readonly authorizations: Array<string | undefined> = [];
  private failures = 0;
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/sms`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (this.failures > 0) {
          this.failures--;
          res.writeHead(502).end();
          return;
        }
        this.messages.push(JSON.parse(body) as GatewayMessage);
        this.authorizations.push(req.headers.authorization);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  failNext(count: number): void {
    this.failures += count;
  }

  /** The last code sent to `to`; throws when none was sent, so a test cannot pass on a missing code. */
  lastCodeFor(to: string): string {
    const message = [...this.messages].reverse().find((m) => m.to === to);
    if (!message) throw new Error(`no code was sent to ${to}`);
    return message.code;
  }
}
