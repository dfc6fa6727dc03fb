import { randomBytes } from 'node:crypto';
import { MesiboSimulator } from './mesibo-simulator';

const APP_TOKEN = `spec-app-token-${randomBytes(12).toString('hex')}`;

/** The simulator over real HTTP, as the service talks to it. */
describe('MesiboSimulator', () => {
  let simulator: MesiboSimulator;

  beforeEach(async () => {
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
  });
  afterEach(() => simulator.stop());

  async function call(op: string, user: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(simulator.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op, token: APP_TOKEN, user }) });
    return (await res.json()) as Record<string, unknown>;
  }

  async function issue(address: string): Promise<string> {
    const reply = await call('useradd', { address, token: { appid: 'com.example.app', expiry: 60 } });
    return (reply.user as { token: string }).token;
  }

  it('tracks every token it issued as valid, and no other', async () => {
    const first = await issue('18005551234');
    const second = await issue('18005551234');

    expect(simulator.isTokenValid(first)).toBe(true);
    expect(simulator.isTokenValid(second)).toBe(true);
    expect(simulator.isTokenValid('never-issued')).toBe(false);
  });

  it('forgets a token removed with usertokendel, and only that one', async () => {
    const first = await issue('18005551234');
    const second = await issue('18005551234');

    expect(await call('usertokendel', { address: '18005551234', token: { appid: 'com.example.app', token: first } })).toMatchObject({ result: true });

    expect(simulator.isTokenValid(first)).toBe(false);
    expect(simulator.isTokenValid(second)).toBe(true);
    expect(await call('usertokendel', { token: { token: first } })).toMatchObject({ result: false, error: 'NOTOKEN' });
  });

  it('forgets the tokens of a user removed with userdel', async () => {
    const token = await issue('18005551234');

    await call('userdel', { address: '18005551234' });

    expect(simulator.isTokenValid(token)).toBe(false);
  });
});
