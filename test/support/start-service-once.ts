import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface StartOutcome {
  /** The exit code, or 'listening' once the service listened (it is then stopped). */
  result: number | 'listening';
  stderr: string;
  output: string;
}

/**
 * Starts the service as `npm start` would, in `cwd`, with only `env` (and PATH) set: what an
 * operator sees on the terminal. Resolves when it exits, or as soon as it listens (then it is stopped).
 */
export function startServiceOnce(cwd: string, env: Record<string, string>): Promise<StartOutcome> {
  const child = spawn(process.execPath, ['-r', join(ROOT, 'node_modules/ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no outcome within 60 s:\n${output}`));
    }, 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      output += chunk.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Listening on')) child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ result: output.includes('Listening on') ? 'listening' : (code ?? -1), stderr, output });
    });
  });
}
