/**
 * The service reads its settings from the process environment while it starts (src/config). An
 * in-process backend therefore gets its settings there, and only for the time it starts: the
 * variables are set, the start runs, and every variable is put back as it was. Starts in one
 * process take turns, so two backends never see each other's settings.
 */
let turn: Promise<unknown> = Promise.resolve();

export function withEnvironment<T>(settings: Readonly<Record<string, string>>, start: () => Promise<T>): Promise<T> {
  const run = turn.then(async () => {
    const before = new Map(Object.keys(settings).map((name) => [name, process.env[name]]));
    Object.assign(process.env, settings);
    try {
      return await start();
    } finally {
      for (const [name, value] of before) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
  turn = run.catch(() => undefined);
  return run;
}
