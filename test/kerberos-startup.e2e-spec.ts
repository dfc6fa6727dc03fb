import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceOnce } from './support/start-service-once';


/** Makes `require('kerberos')` fail as it does where the optional package could not be built. */
const BLOCK_KERBEROS = `
const Module = require('node:module');
const load = Module._load;
Module._load = function (request) {
  if (request === 'kerberos') throw Object.assign(new Error("Cannot find module 'kerberos'"), { code: 'MODULE_NOT_FOUND' });
  return load.apply(this, arguments);
};
`;


describe('Kerberos login configured where the kerberos package cannot be loaded', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kerberos-startup-'));
    writeFileSync(join(dir, 'block-kerberos.js'), BLOCK_KERBEROS);
    writeFileSync(join(dir, 'http.keytab'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start, with one line that names the setting, the package and the remedy', async () => {
    const outcome = await startServiceOnce(dir, {
      NODE_ENV: 'test',
      NODE_OPTIONS: `--require ${join(dir, 'block-kerberos.js')}`,
      DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
      KERBEROS_KEYTAB: join(dir, 'http.keytab'),
      KERBEROS_SERVICE_PRINCIPAL: 'HTTP/www.example.org@EXAMPLE.ORG',
      KERBEROS_REALMS: 'EXAMPLE.ORG',
    });
    expect(outcome.result).toBe(1);
    expect(outcome.output).not.toContain('Listening on');
    expect(outcome.stderr.trim().split('\n')).toEqual([
      'Invalid configuration: KERBEROS_KEYTAB is set, which turns the kerberos login on, but the optional package "kerberos" ' +
        "cannot be loaded (Cannot find module 'kerberos'): install libkrb5 and its headers (Debian: apt-get install libkrb5-dev) " +
        'and run npm install again, or unset KERBEROS_KEYTAB, KERBEROS_SERVICE_PRINCIPAL, KERBEROS_REALMS',
    ]);
  }, 60_000);

  it('starts without it when the method is off: nothing loads the package then', async () => {
    const outcome = await startServiceOnce(dir, {
      NODE_ENV: 'test',
      NODE_OPTIONS: `--require ${join(dir, 'block-kerberos.js')}`,
      DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
    });
    expect(outcome.output).toContain('Listening on');
    expect(outcome.output).not.toContain('kerberos');
  }, 60_000);
});
