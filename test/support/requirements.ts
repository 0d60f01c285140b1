// Tests that need `rdiff` or the native addon skip only when the machine
// lacks them and we are not in CI. With CI=true (or LIBRSYNC_REQUIRE_ALL=1)
// a missing requirement fails the run instead: CI must run every test.
import { spawnSync } from 'node:child_process';
import { Backend, setDefaultBackend } from '../../lib/backend';
import { nativeLoadError } from '../../lib/native-binding';

const mustHaveAll = process.env.CI === 'true' || process.env.LIBRSYNC_REQUIRE_ALL === '1';

export const hasRdiff = spawnSync('rdiff', ['--version'], { encoding: 'utf8' }).status === 0;
export const hasNative = nativeLoadError() === undefined;

function gate(available: boolean, what: string): jest.Describe {
  if (available) return describe;
  if (mustHaveAll) {
    throw new Error(`${what} is required in CI but is missing (see README, "Running the tests")`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPING tests that need ${what}: see README, "Running the tests"`);
  return describe.skip;
}

/** describe() for suites that compare with the rdiff command. */
export const describeWithRdiff: jest.Describe = gate(hasRdiff && hasNative, 'rdiff and the native addon');
/** describe() for suites that need the native addon. */
export const describeNative: jest.Describe = gate(hasNative, 'the native addon');

/** describe() for suites that compare with rdiff but do not need the addon. */
const describeRdiffOnly: jest.Describe = gate(hasRdiff, 'rdiff');

export const BACKENDS: readonly Backend[] = ['native', 'js'];

/**
 * The same suite once per backend, each block running with that backend
 * as the process default (calls that name no backend use it).
 */
function eachBackend(suiteFor: (backend: Backend) => jest.Describe) {
  return (name: string, body: (backend: Backend) => void): void => {
    for (const backend of BACKENDS) {
      suiteFor(backend)(`${name} [${backend}]`, () => {
        const inherited = process.env.LIBRSYNC_BACKEND;
        beforeAll(() => {
          setDefaultBackend(backend);
          process.env.LIBRSYNC_BACKEND = backend; // for child processes (the CLI)
        });
        afterAll(() => {
          setDefaultBackend(undefined);
          if (inherited === undefined) delete process.env.LIBRSYNC_BACKEND;
          else process.env.LIBRSYNC_BACKEND = inherited;
        });
        body(backend);
      });
    }
  };
}

/** Per backend, compared with rdiff. */
export const describeEachBackendWithRdiff = eachBackend((backend) => (backend === 'native' ? describeWithRdiff : describeRdiffOnly));
/** Per backend, no rdiff needed. */
export const describeEachBackend = eachBackend((backend) => (backend === 'native' ? describeNative : describe));

/** Root can mount the small file systems of the full-disk tests (CI runs as root). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** describe() for suites that mount file systems (loop-mounted ext4, tmpfs): root only. */
export const describeAsRoot: jest.Describe = gate(isRoot && hasNative, 'root (to mount small file systems) and the native addon');
