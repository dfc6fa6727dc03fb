import { Writable } from 'node:stream';
import { createRootLogger, REDACTED } from './root-logger';

function capture(): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Starts every terminal colour code. */
const ESCAPE = String.fromCharCode(27) + '[';

describe('the root logger', () => {
  it('redacts secret fields of logged objects, of errors, headers and options, and keeps the rest', () => {
    const out = capture();
    const logger = createRootLogger({ level: 'trace', format: 'json', colour: false }, out);
    logger.trace({ password: 'pw-1', otp: '123456', user: 'ada', err: { message: 'failed', token: 'tk-2' }, options: { appToken: 'app-3' }, req: { headers: { authorization: 'Bearer au-4', cookie: 'ck-5' } } }, 'hello');
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'hello', user: 'ada', password: REDACTED, otp: REDACTED, err: { message: 'failed', token: REDACTED }, options: { appToken: REDACTED } });
    for (const secret of ['pw-1', '123456', 'tk-2', 'app-3', 'au-4', 'ck-5']) expect(out.text()).not.toContain(secret);
  });

  it('writes readable lines without colour codes when colour is off, and JSON otherwise', () => {
    const pretty = capture();
    createRootLogger({ level: 'info', format: 'pretty', colour: false }, pretty).info({ context: 'Bootstrap' }, 'Listening');
    expect(pretty.text()).toMatch(/INFO.*\[Bootstrap\] Listening/);
    expect(pretty.text()).not.toContain(ESCAPE);
    const coloured = capture();
    createRootLogger({ level: 'info', format: 'pretty', colour: true }, coloured).info('Listening');
    expect(coloured.text()).toContain(ESCAPE);
  });

  it('drops lines below the level', () => {
    const out = capture();
    createRootLogger({ level: 'warn', format: 'json', colour: false }, out).info('not shown');
    expect(out.text()).toBe('');
  });
});
