import { RadiusChallengeStates, sealedStateKey } from './radius-challenge-states';

const NOW = Date.UTC(2026, 0, 1);
const states = new RadiusChallengeStates({ secret: Buffer.from('a-server-secret-of-enough-length-0123') });
const challenge = { radiusState: Buffer.from('server-state-0042'), server: '10.0.0.1:1812', expiresAtMs: NOW + 300_000 };

describe('RadiusChallengeStates', () => {
  it('opens a state for the user it was sealed for, until it expires', () => {
    const sealed = states.seal('carol', challenge);
    expect(states.open('carol', sealed, NOW)).toEqual(challenge);
    expect(states.open('carol', sealed, NOW + 299_999)).toEqual(challenge);
    expect(states.open('carol', sealed, NOW + 300_000)).toBeUndefined();
  });

  it('does not open for another user name, not even one that differs in case', () => {
    const sealed = states.seal('carol', challenge);
    expect(states.open('dave', sealed, NOW)).toBeUndefined();
    expect(states.open('Carol', sealed, NOW)).toBeUndefined();
  });

  it('hides the server State from the client and refuses any change to it', () => {
    const sealed = states.seal('carol', challenge);
    expect(Buffer.from(sealed.slice(3), 'base64url').includes(challenge.radiusState)).toBe(false);
    expect(sealed).not.toContain(challenge.radiusState.toString('base64'));
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[bytes.length - 1] ^= 1;
    expect(states.open('carol', `v1.${bytes.toString('base64url')}`, NOW)).toBeUndefined();
    expect(states.open('carol', 'not a state at all', NOW)).toBeUndefined();
  });

  it('does not open states sealed under another server secret', () => {
    const other = new RadiusChallengeStates({ secret: Buffer.from('another-server-secret-of-enough-length') });
    expect(states.open('carol', other.seal('carol', challenge), NOW)).toBeUndefined();
  });

  it('names each sealed state by a short key of its own', () => {
    const first = states.seal('carol', challenge);
    const second = states.seal('carol', challenge);
    expect(first).not.toBe(second);
    expect(sealedStateKey(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sealedStateKey(first)).not.toBe(sealedStateKey(second));
  });
});
