/*
 * Runs the mesibo simulator alone: `npm run simulator -- --port 4000 --app-token <token>`.
 * Faults are switched at /control/faults with the same token (see simulator-faults.ts).
 */
import { parseArgs } from 'node:util';
import { MesiboSimulator, randomAppToken } from './mesibo-simulator';
import { errorMessage } from '../common/errors';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      'app-token': { type: 'string' },
    },
  });
  const appToken = values['app-token'] ?? randomAppToken();
  const simulator = await new MesiboSimulator({ appToken, port: Number(values.port), host: values.host }).start();
  process.stdout.write(
    `mesibo simulator listening on ${simulator.url}\n` +
      `Run the service against it with MESIBO_API_URL=${simulator.url} MESIBO_APP_TOKEN=${appToken}\n` +
      `Play an outage (modes: none, down, slow, authfail): curl -X POST ${simulator.controlUrl} -H 'Authorization: Bearer ${appToken}' -d '{"mode":"down"}'\n`,
  );
  const stop = (): void => void simulator.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorMessage(error)}\n`);
  process.exit(1);
});
