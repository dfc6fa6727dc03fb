import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import request from 'supertest';
import { freeUdpPort } from './support/freeradius';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const SECRET = 'radius-shared-secret-for-the-tests-0123';
const PASSWORD = 'a password the fake server never checks';
const TIMEOUT_MS = 200;
const RETRIES = 1;

type ReplyKind =
  | 'valid'
  | 'no Message-Authenticator'
  | 'wrong Message-Authenticator'
  | 'wrong Response Authenticator'
  | 'another identifier'
  | 'another source port'
  | 'silent';

/**
 * A tiny RADIUS responder that answers every Access-Request with an Access-Accept, built here byte
 * by byte (RFC 2865 §3, RFC 3579 §3.2), correct or broken in one chosen way.
 */
class FakeRadiusServer {
  kind: ReplyKind = 'valid';
  packets = 0;
  private readonly socket: Socket = createSocket('udp4');
  /** Sends the replies of kind 'another source port': right bytes, from an address the request did not go to. */
  private readonly elsewhere: Socket = createSocket('udp4');

  async start(): Promise<this> {
    this.socket.on('message', (packet: Buffer, from: RemoteInfo) => {
      this.packets++;
      if (this.kind === 'silent') return;
      const sender = this.kind === 'another source port' ? this.elsewhere : this.socket;
      sender.send(this.replyTo(packet), from.port, from.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.elsewhere.bind(0, '127.0.0.1', resolve));
    return this;
  }

  get label(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.elsewhere.close(() => resolve()));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private replyTo(requestPacket: Buffer): Buffer {
    const requestAuthenticator = requestPacket.subarray(4, 20);
    const withAuthenticator = this.kind !== 'no Message-Authenticator';
    const attributes = withAuthenticator ? Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)]) : Buffer.alloc(0);
    const reply = Buffer.concat([Buffer.from([2, requestPacket[1], 0, 0]), requestAuthenticator, attributes]);
    reply.writeUInt16BE(reply.length, 2);
    if (this.kind === 'another identifier') reply[1] = (reply[1] + 1) % 256;
    if (withAuthenticator) {
      const hmac = this.kind === 'wrong Message-Authenticator' ? randomBytes(16) : createHmac('md5', SECRET).update(reply).digest();
      hmac.copy(reply, 22);
    }
    const responseAuthenticator =
      this.kind === 'wrong Response Authenticator' ? randomBytes(16) : createHash('md5').update(reply).update(SECRET).digest();
    responseAuthenticator.copy(reply, 4);
    return reply;
  }
}

describe('RADIUS replies the client refuses, and servers that do not answer', () => {
  let t: TestApp;
  let fake: FakeRadiusServer;
  let closedPort: number;

  beforeAll(async () => {
    fake = await new FakeRadiusServer().start();
    closedPort = await freeUdpPort();
    t = await startTestApp({
      RADIUS_SERVERS: `${fake.label},127.0.0.1:${closedPort}`,
      RADIUS_SECRET: SECRET,
      RADIUS_TIMEOUT_MS: String(TIMEOUT_MS),
      RADIUS_RETRIES: String(RETRIES),
      RADIUS_SUBJECT_ATTRIBUTE: '',
      RADIUS_ADDRESS_ATTRIBUTE: '',
      RADIUS_ADDRESS_PREFIX: '',
      RADIUS_TRUST_ADDRESS: '',
      // Small, so the refunds of unanswered tries show.
      PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const restLogin = (username: string) => request(t.url).post('/v1/auth/radius/login').send({ appid: APPID, username, password: PASSWORD });
  const opLogin = (username: string) => request(t.url).post('/').send({ op: 'login', method: 'radius', appid: APPID, username, password: PASSWORD });

  it('accepts the fake server when its reply is right, so the refusals below are about one fault each', async () => {
    fake.kind = 'valid';
    const res = await restLogin('grace');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ address: 'radius:grace' });
  });

  it.each<ReplyKind>(['no Message-Authenticator', 'wrong Message-Authenticator', 'wrong Response Authenticator', 'another identifier', 'another source port'])(
    'drops a reply with %s, and answers 503 once no server gave a valid one',
    async (kind) => {
      fake.kind = kind;
      const packetsBefore = fake.packets;
      const linesBefore = t.logs.lines.length;
      const res = await restLogin(`user-${kind.replace(/ /g, '-')}`);
      expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
      // The first packet and its retransmission: a dropped reply does not end the wait.
      expect(fake.packets - packetsBefore).toBe(RETRIES + 1);
      const logged = t.logs.lines.slice(linesBefore).join('\n');
      // Stray replies are expected now and then (and the kernel drops those from elsewhere): no warning.
      if (kind === 'another identifier' || kind === 'another source port') expect(logged).not.toContain('Dropped a reply');
      else expect(logged).toContain(`Dropped a reply from RADIUS server ${fake.label}: ${kind}`);
    },
  );

  it('answers 503 and UNAVAILABLE within the timeouts when every server is down, and gives the budget unit back', async () => {
    fake.kind = 'silent';
    // Each server gets 1 + RADIUS_RETRIES packets, each waited for RADIUS_TIMEOUT_MS at most.
    const bound = 2 * (RETRIES + 1) * TIMEOUT_MS;
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = i % 2 === 0 ? await restLogin('hopper') : await opLogin('hopper');
      const elapsed = Date.now() - started;
      if (i % 2 === 0) expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
      else expect(res.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'UNAVAILABLE' });
      expect(elapsed).toBeGreaterThanOrEqual((RETRIES + 1) * TIMEOUT_MS - 20);
      expect(elapsed).toBeLessThan(bound + 500);
    }
    // Three unanswered tries with a budget of two: none was counted as a wrong password.
    fake.kind = 'valid';
    expect((await restLogin('hopper')).status).toBe(200);
    expect(t.logs.lines.join('\n')).not.toContain(PASSWORD);
  });
});
