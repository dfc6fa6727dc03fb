import { createTransport } from 'nodemailer';
import { OtpInbox } from './otp-inbox';

/** The inbox over real HTTP and SMTP, fed the way the service's senders feed it. */
describe('OtpInbox', () => {
  let inbox: OtpInbox;

  beforeEach(async () => {
    inbox = await new OtpInbox(500).start();
  });
  afterEach(() => inbox.stop());

  function sms(to: string, code: string): Promise<Response> {
    return fetch(inbox.settings.OTP_WEBHOOK_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to, code, text: `Your verification code is ${code}`, channel: 'sms' }),
    });
  }

  /** As SmtpOtpSender sends it: nodemailer, SMTP_URL, a subject ending in the code, a long text (quoted-printable). */
  async function email(to: string, code: string): Promise<void> {
    const transport = createTransport(inbox.settings.SMTP_URL);
    try {
      await transport.sendMail({
        from: 'Messenger <no-reply@localhost>',
        to,
        subject: `Your confirmation code: ${code}`,
        text: `Enter this code to confirm your email address:\n\n    ${code}\n\nIt works for 5 minutes. If you did not ask for it, ignore this email; nothing else happens. Ünïcödé too.\n.leading dot\n`,
      });
    } finally {
      transport.close();
    }
  }

  it('routes the codes of both channels to itself', () => {
    expect(inbox.settings).toEqual({
      OTP_SENDER: 'webhook',
      OTP_WEBHOOK_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/sms$/),
      EMAIL_SENDER: 'smtp',
      SMTP_URL: expect.stringMatching(/^smtp:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it('gives the code an SMS brought, for the number written any way a user writes it', async () => {
    expect((await sms('18005551234', '123456')).status).toBe(202);

    expect(await inbox.codeFor('+1 (800) 555-1234')).toBe('123456');
  });

  it('waits for a code that has not come yet', async () => {
    const code = inbox.codeFor('18005551234');
    await sms('18005551234', '654321');

    expect(await code).toBe('654321');
  });

  it('gives the newest unread code, then waits for the next one', async () => {
    await sms('18005551234', '111111');
    await sms('18005551234', '222222');
    await sms('14155550100', '999999');

    expect(await inbox.codeFor('18005551234')).toBe('222222');
    await expect(inbox.codeFor('18005551234')).rejects.toThrow('No code was sent to 18005551234 within 500 ms');
    expect(await inbox.codeFor('14155550100')).toBe('999999');
  });

  it('gives the code of an email, read from the subject, with the decoded text', async () => {
    await email('ada@example.com', '424242');

    expect(await inbox.codeFor('Ada@Example.COM')).toBe('424242');
    const [message] = inbox.messages;
    expect(message).toMatchObject({ channel: 'email', to: 'ada@example.com', code: '424242', subject: 'Your confirmation code: 424242' });
    expect(message.text).toContain('ignore this email; nothing else happens. Ünïcödé too.');
    expect(message.text).toContain('\r\n.leading dot');
  });

  it('makes the next deliveries fail when asked, on either channel', async () => {
    inbox.failNext(2);

    expect((await sms('18005551234', '123456')).status).toBe(502);
    await expect(email('ada@example.com', '424242')).rejects.toThrow(/451/);
    expect((await sms('18005551234', '654321')).status).toBe(202);
    expect(inbox.messages.map((message) => message.code)).toEqual(['654321']);
  });

  it('refuses to look for an address the backend would never send to', async () => {
    await expect(inbox.codeFor('not a number')).rejects.toThrow('"not a number" is not a phone number or email address');
  });

  it('lets a waiting codeFor go when it stops', async () => {
    const code = inbox.codeFor('18005551234', { timeoutMs: 60_000 });

    await inbox.stop();

    await expect(code).rejects.toThrow('The backend stopped while waiting for a code to 18005551234');
  });
});
