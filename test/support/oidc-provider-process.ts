import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, JWK, KeyLike } from 'jose';
import type { TestProviderOptions } from './oidc-provider-server';

export interface TestProvider {
  /** The issuer, e.g. http://127.0.0.1:40123 */
  issuer: string;
  /** The key the provider signs ID tokens with, and its `kid`. */
  privateKey: KeyLike;
  kid: string;
  stop(): Promise<void>;
}

/**
 * Starts oidc-provider-server.ts in a process of its own: oidc-provider is an ES module, which
 * jest cannot load. It runs under ts-node with module `node16`, so its `import()` stays a real
 * dynamic import. The signing key is made here, so the tests can sign tokens with it too.
 */
export async function startTestProvider(options: Omit<TestProviderOptions, 'signingKey'>): Promise<TestProvider> {
  const kid = 'test-signing-key';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/support/oidc-provider-server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'node16', moduleResolution: 'node16' }),
      OIDC_TEST_PROVIDER: JSON.stringify({ ...options, signingKey } satisfies TestProviderOptions),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const issuer = await listeningUrl(child);
  return {
    issuer,
    privateKey,
    kid,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the test OIDC provider did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /^listening (\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test OIDC provider exited with ${code}:\n${output}`));
    });
  });
}
