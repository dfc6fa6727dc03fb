import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppProcess, startAppProcess } from './support/app-process';

/** Packages only some configurations use: the other database drivers, Redis, OIDC providers, SMTP, the enterprise login methods. */
const OPTIONAL_PACKAGES = ['pg', 'mysql2', 'ioredis', 'openid-client', 'jose', 'nodemailer', 'ldapts', 'radius', 'kerberos', '@node-saml/node-saml', '@xmldom/xmldom'];

/** Makes requiring any of BLOCKED_PACKAGES fail, as if it were not installed. */
const BLOCKER = `
const Module = require('node:module');
const blocked = new Set(process.env.BLOCKED_PACKAGES.split(','));
const load = Module._load;
Module._load = function (request) {
  const name = request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/');
  if (blocked.has(name)) throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
  return load.apply(this, arguments);
};
`;

describe('a service on the embedded SQLite defaults loads no optional package', () => {
  let dir: string;
  let service: AppProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'optional-packages-'));
    writeFileSync(join(dir, 'block-packages.js'), BLOCKER);
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`starts, is ready and sends a code with ${OPTIONAL_PACKAGES.join(', ')} missing`, async () => {
    service = await startAppProcess({
      NODE_OPTIONS: `--require ${join(dir, 'block-packages.js')}`,
      BLOCKED_PACKAGES: OPTIONAL_PACKAGES.join(','),
      // The defaults of the README's quick start, with the database file in a folder of this test.
      DATABASE_URL: `sqlite:${join(dir, 'backend.db')}`,
      MESIBO_APP_TOKEN: '',
      OTP_SENDER: 'console',
      OTP_WEBHOOK_URL: '',
      EMAIL_SENDER: 'console',
      REDIS_URL: '',
      OIDC_PROVIDERS: '',
    });
    expect((await request(service.url).get('/health/ready')).status).toBe(200);
    expect((await request(service.url).post('/v1/auth/otp').send({ phone: '18005551234', appid: 'com.mesibo.firstapp' })).status).toBe(202);
    expect(service.output()).not.toContain('Cannot find module');
  });
});
