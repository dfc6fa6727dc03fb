import { normalizeEmail } from '../auth/email/email-address';
import { normalizePhone } from '../common/phone-number';
import { SmsWebhookReceiver } from './sms-webhook-receiver';
import { SmtpReceiver } from './smtp-receiver';

/** A code the service sent: by SMS (through OTP_WEBHOOK_URL) or by email (through SMTP_URL). */
export interface InboxMessage {
  channel: 'sms' | 'email';
  /** As the service addressed it: E.164 digits without `+` (`18005551234`), or the normalised email address. */
  to: string;
  code: string;
  /** The words around the code: the SMS text, or the email's text. */
  text: string;
  /** Emails only. */
  subject?: string;
  receivedAt: Date;
}

export interface CodeForOptions {
  /** How long to wait for a code that has not come yet; the inbox's default (5 s) when not given. */
  timeoutMs?: number;
}

interface Waiter {
  to: string;
  deliver(message: InboxMessage): void;
  cancel(reason: Error): void;
}

/** The code of an email the service sent: the last group of digits of its subject ("Your confirmation code: 123456"). */
const CODE_IN_SUBJECT = /(\d{4,10})\s*$/;

/**
 * Where the backend's codes arrive: an SMS webhook endpoint and an SMTP endpoint on loopback,
 * read with `await inbox.codeFor(phoneOrEmail)`.
 */
export class OtpInbox {
  private readonly received: Array<InboxMessage & { taken: boolean }> = [];
  private readonly waiters = new Set<Waiter>();
  private refusals = 0;
  private readonly sms = new SmsWebhookReceiver({
    onMessage: (message) => this.receive({ channel: 'sms', to: message.to, code: message.code, text: message.text, receivedAt: new Date() }),
    shouldRefuse: () => this.refuseOne(),
  });
  private readonly smtp = new SmtpReceiver({
    onMail: (mail) => {
      const code = CODE_IN_SUBJECT.exec(mail.subject)?.[1];
      if (code !== undefined) this.receive({ channel: 'email', to: mail.to, code, text: mail.text, subject: mail.subject, receivedAt: new Date() });
    },
    shouldRefuse: () => this.refuseOne(),
  });

  /**
   * @param defaultTimeoutMs how long `codeFor` waits unless told otherwise
   * @param phoneRegion PHONE_DEFAULT_REGION of the backend, to read national numbers the way it does
   */
  constructor(
    private readonly defaultTimeoutMs = 5000,
    private readonly phoneRegion?: string,
  ) {}

  /** The settings that route the backend's codes here. */
  get settings(): Record<string, string> {
    return { OTP_SENDER: 'webhook', OTP_WEBHOOK_URL: this.sms.url, EMAIL_SENDER: 'smtp', SMTP_URL: this.smtp.url };
  }

  /** Every code received so far, oldest first. */
  get messages(): InboxMessage[] {
    return this.received.map(({ taken: _taken, ...message }) => ({ ...message }));
  }

  async start(): Promise<this> {
    await Promise.all([this.sms.start(), this.smtp.start()]);
    return this;
  }

  async stop(): Promise<void> {
    for (const waiter of [...this.waiters]) waiter.cancel(new Error(`The backend stopped while waiting for a code to ${waiter.to}`));
    await Promise.all([this.sms.stop(), this.smtp.stop()]);
  }

  /**
   * The newest code sent to this phone number or email address that no earlier call returned
   * (older ones are passed over: a new code is the one that works); if there is none, waits for the
   * next one, up to `timeoutMs`, then rejects. The address may be written as a user types it
   * (`+1 800 555-1234`, `Ada@Example.com`): it is normalised the way the backend does.
   */
  async codeFor(phoneOrEmail: string, options: CodeForOptions = {}): Promise<string> {
    const to = this.normalise(phoneOrEmail);
    const unread = this.received.filter((message) => message.to === to && !message.taken);
    if (unread.length > 0) {
      for (const message of unread) message.taken = true;
      return unread[unread.length - 1].code;
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        to,
        deliver: (message) => {
          settle();
          resolve(message.code);
        },
        cancel: (reason) => {
          settle();
          reject(reason);
        },
      };
      const timer = setTimeout(() => waiter.cancel(new Error(`No code was sent to ${to} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Makes the next `count` deliveries fail (HTTP 502 from the SMS webhook, 451 from SMTP): the backend answers SENDFAILED / 503. */
  failNext(count: number): void {
    this.refusals += count;
  }

  /** Forgets every code received. */
  clear(): void {
    this.received.length = 0;
  }

  private receive(message: InboxMessage): void {
    const waiter = [...this.waiters].find((candidate) => candidate.to === message.to);
    this.received.push({ ...message, taken: waiter !== undefined });
    waiter?.deliver(message);
  }

  private refuseOne(): boolean {
    if (this.refusals === 0) return false;
    this.refusals--;
    return true;
  }

  private normalise(phoneOrEmail: string): string {
    try {
      return phoneOrEmail.includes('@') ? normalizeEmail(phoneOrEmail) : normalizePhone(phoneOrEmail, this.phoneRegion);
    } catch {
      throw new Error(`"${phoneOrEmail}" is not a phone number or email address the backend would send a code to`);
    }
  }
}
