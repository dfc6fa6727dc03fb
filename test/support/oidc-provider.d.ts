/**
 * The little of oidc-provider 8 (which ships no types) that oidc-provider-server.ts uses. It is
 * an ES module, loaded only in that script's own process, never inside jest.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
