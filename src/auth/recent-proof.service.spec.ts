import { FakeClock } from '../../test/support/fake-clock';
import { InvalidRequestError, RecentProofRequiredError } from '../common/errors';
import { loadSessionConfig } from '../config/session.config';
import { RecentProofService } from './recent-proof.service';
import { AuthenticatedSession } from './sessions.service';

/**
 * The window rule. Proving with a password or a code runs the real login services and is covered
 * end to end (test/account-security.e2e-spec.ts); none of them is reached by the cases here.
 */
describe('RecentProofService', () => {
  const unused = {} as never;
  let clock: FakeClock;

  function service(env: Record<string, string> = {}): RecentProofService {
    return new RecentProofService(unused, unused, unused, unused, clock, loadSessionConfig(env));
  }

  beforeEach(() => {
    clock = new FakeClock();
  });

  it('counts a proof as recent for RECENT_PROOF_SECONDS (300 by default), to the millisecond', () => {
    const recent = service();
    const session = { created_at: clock.nowMs(), proven_at: clock.nowMs() };

    expect(recent.recentUntil(session)).toBe(clock.nowMs() + 300_000);
    clock.advance(300);
    expect(() => recent.assertRecent(session)).not.toThrow();
    clock.advance(0.001);
    expect(() => recent.assertRecent(session)).toThrow(RecentProofRequiredError);
  });

  it('reads the last proof, and the creation of the session when none was recorded', () => {
    const recent = service({ RECENT_PROOF_SECONDS: '60' });
    const created = clock.nowMs();
    clock.advance(120);

    expect(() => recent.assertRecent({ created_at: created, proven_at: null })).toThrow(RecentProofRequiredError);
    expect(() => recent.assertRecent({ created_at: created, proven_at: clock.nowMs() - 30_000 })).not.toThrow();
  });

  it('takes either a password or a code, not both and not neither', async () => {
    const recent = service();
    const current = {} as AuthenticatedSession;

    await expect(recent.prove(current, {}, { clientKey: '203.0.113.7' })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(recent.prove(current, { password: 'a passphrase', otp: '123456' }, { clientKey: '203.0.113.7' })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('refuses a RECENT_PROOF_SECONDS out of range', () => {
    expect(() => loadSessionConfig({ RECENT_PROOF_SECONDS: '5' })).toThrow(/RECENT_PROOF_SECONDS/);
    expect(() => loadSessionConfig({ RECENT_PROOF_SECONDS: 'soon' })).toThrow(/RECENT_PROOF_SECONDS/);
  });
});
