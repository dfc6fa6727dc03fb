import { Injectable } from '@nestjs/common';
import { LoginMethodDefinition } from './login-method';

const METHOD_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Path segments under /v1/auth that other routes own, and the op API's built-in method. */
const RESERVED = new Set(['otp', 'oidc', 'password', 'logout', 'phone', 'saml']);

/**
 * The login methods this instance offers. Method modules register themselves at start-up (when
 * configured); the surfaces look methods up by name on each request. Nothing here knows any method.
 */
@Injectable()
export class LoginMethodRegistry {
  private readonly methods = new Map<string, LoginMethodDefinition>();

  register(method: LoginMethodDefinition): void {
    if (!METHOD_NAME.test(method.name)) {
      throw new Error(`Login method name "${method.name}" must be a lowercase letter, then lowercase letters, digits or -`);
    }
    if (RESERVED.has(method.name)) throw new Error(`Login method name "${method.name}" is reserved`);
    if (this.methods.has(method.name)) throw new Error(`Login method "${method.name}" is registered twice`);
    this.methods.set(method.name, method);
  }

  /** The method of that name, or undefined when it is unknown or not configured here. */
  find(name: string): LoginMethodDefinition | undefined {
    return this.methods.get(name);
  }

  /** In the order they registered. */
  list(): LoginMethodDefinition[] {
    return [...this.methods.values()];
  }
}
