import { simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

/** A real SMTP server on a loopback port that keeps what it receives. */
export class SmtpInbox {
  readonly mails: ReceivedMail[] = [];
  private server?: SMTPServer;

  get url(): string {
    const address = (this.server as unknown as { server: { address(): AddressInfo } }).server.address();
    return `smtp://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            for (const recipient of session.envelope.rcptTo) {
              this.mails.push({ to: recipient.address, subject: mail.subject ?? '', text: mail.text ?? '' });
            }
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Waits (up to 5 s) for the n-th mail to `to` and returns the 6-digit code in it. */
  async codeFor(to: string, nth = 1): Promise<{ code: string; mail: ReceivedMail }> {
    for (let waited = 0; waited < 5000; waited += 20) {
      const mail = this.mails.filter((m) => m.to === to)[nth - 1];
      const code = mail ? /\b(\d{6})\b/.exec(mail.text)?.[1] : undefined;
      if (mail && code) return { code, mail };
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error(`no mail number ${nth} reached ${to}`);
  }

  count(to: string): number {
    return this.mails.filter((m) => m.to === to).length;
  }
}
