import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { listen } from '../common/listen';

/** One mail as it arrived: the envelope recipient, the subject and the decoded text. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

export interface SmtpReceiverOptions {
  onMail(mail: ReceivedMail): void;
  /** Asked once per mail, at the end of DATA: true refuses it with a temporary failure (451). */
  shouldRefuse(): boolean;
}

/**
 * Just enough of an SMTP server (RFC 5321) on loopback for the service's SMTP sender (nodemailer)
 * to deliver codes to a test suite: no TLS, no authentication, plain and quoted-printable text.
 */
export class SmtpReceiver {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: SmtpReceiverOptions) {}

  /** For SMTP_URL. */
  get url(): string {
    return `smtp://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => this.converse(socket));
    await listen(server, 0, '127.0.0.1');
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }

  private converse(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    const reply = (line: string): boolean => socket.write(`${line}\r\n`);

    let recipients: string[] = [];
    let data: string[] | undefined;
    let pending = '';
    reply('220 localhost ESMTP test inbox');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (data) {
          if (line !== '.') {
            // A line that starts with a dot was sent with one more (dot-stuffing).
            data.push(line.startsWith('.') ? line.slice(1) : line);
            continue;
          }
          reply(this.deliver(recipients, data.join('\r\n')));
          data = undefined;
          recipients = [];
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          recipients = [];
          reply('250 OK');
        } else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1];
          if (address === undefined) reply('501 Syntax: RCPT TO:<address>');
          else {
            recipients.push(address);
            reply('250 OK');
          }
        } else if (verb === 'DATA') {
          if (recipients.length === 0) reply('503 RCPT first');
          else {
            data = [];
            reply('354 End data with <CR><LF>.<CR><LF>');
          }
        } else if (verb === 'RSET') {
          recipients = [];
          reply('250 OK');
        } else if (verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 Bye');
          socket.end();
        } else reply('502 Command not implemented');
      }
    });
  }

  private deliver(recipients: string[], message: string): string {
    if (this.options.shouldRefuse()) return '451 Simulated temporary failure';
    const { subject, text } = parseMessage(message);
    for (const to of recipients) this.options.onMail({ to, subject, text });
    return '250 OK';
  }
}

/** The subject and the text of a single-part message, as nodemailer writes them. */
export function parseMessage(message: string): { subject: string; text: string } {
  const split = message.indexOf('\r\n\r\n');
  const head = split < 0 ? message : message.slice(0, split);
  const body = split < 0 ? '' : message.slice(split + 4);
  const headers = new Map<string, string>();
  // Folded header lines continue with white space.
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  return { subject: headers.get('subject') ?? '', text: decodeBody(body, encoding) };
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return body;
  const bytes = body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
