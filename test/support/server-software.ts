import { accessSync, constants } from 'node:fs';

/**
 * Enterprise login tests run against real server software from the OS packages (slapd,
 * FreeRADIUS, an MIT KDC, SimpleSAMLphp). Where a program is missing, the suite is skipped with a
 * one-line reason, so the test command passes anywhere; with REQUIRE_SERVER_SOFTWARE=1 (set by CI,
 * which installs them all) a missing program fails the suite instead of skipping it.
 */
export function missingPrograms(paths: readonly string[]): string[] {
  return paths.filter((path) => {
    try {
      accessSync(path, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * `describe` when every program is installed (and `otherwise`, a reason it cannot run anyway, is
 * undefined); otherwise `describe.skip` after printing why (or,
 * under REQUIRE_SERVER_SOFTWARE=1, a suite with one failing test naming what is missing).
 */
export function describeWithPrograms(title: string, paths: readonly string[], install: string, otherwise?: string): jest.Describe {
  const missing = missingPrograms(paths);
  const why = missing.length > 0 ? `${missing.join(', ')} not installed (${install})` : otherwise;
  if (why === undefined) return describe;
  const reason = `${title}: skipped, ${why}`;
  if (process.env.REQUIRE_SERVER_SOFTWARE === '1') {
    return ((name: string) =>
      describe(name, () => {
        it('has its server software installed', () => {
          throw new Error(reason);
        });
      })) as unknown as jest.Describe;
  }
  process.stdout.write(`${reason}\n`);
  return describe.skip;
}
