import { LoginRequest } from './login-method';
import { LoginMethodRegistry } from './login-method.registry';

const method = (name: string) => ({ name, strategy: name, body: LoginRequest, summary: 'test' });

describe('LoginMethodRegistry', () => {
  it('finds what registered, in order, and nothing else', () => {
    const registry = new LoginMethodRegistry();
    registry.register(method('ldap'));
    registry.register(method('radius-2'));
    expect(registry.find('ldap')?.strategy).toBe('ldap');
    expect(registry.find('LDAP')).toBeUndefined();
    expect(registry.find('__proto__')).toBeUndefined();
    expect(registry.list().map((entry) => entry.name)).toEqual(['ldap', 'radius-2']);
  });

  it('refuses a second method of the same name', () => {
    const registry = new LoginMethodRegistry();
    registry.register(method('ldap'));
    expect(() => registry.register(method('ldap'))).toThrow('registered twice');
  });

  it.each(['otp', 'oidc', 'password', 'phone', 'saml'])('refuses the reserved name %s (a route or the op API already owns it)', (name) => {
    expect(() => new LoginMethodRegistry().register(method(name))).toThrow('reserved');
  });

  it.each(['', 'Ldap', '1ldap', 'a/b', 'a b', 'x'.repeat(33), '-x', 'ldap\n'])('refuses the name %j, which is not one URL segment of the documented shape', (name) => {
    expect(() => new LoginMethodRegistry().register(method(name))).toThrow('must be a lowercase letter');
  });
});
