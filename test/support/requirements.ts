// Tests that need `rdiff` or the native addon skip only when the machine
// lacks them and we are not in CI. With CI=true (or LIBRSYNC_REQUIRE_ALL=1)
// a missing requirement fails the run instead: CI must run every test.
// A skipped suite says what it lacks in its name ("[skipped: needs rdiff]"):
// test/support/skip-reporter.js counts those and prints the fix once per run,
// instead of every suite warning on its own.
import { spawnSync } from 'node:child_process';
import { Backend, setDefaultBackend } from '../../lib/backend';
import { nativeLoadError } from '../../lib/native-binding';

const mustHaveAll = process.env.CI === 'true' || process.env.LIBRSYNC_REQUIRE_ALL === '1';

export const hasRdiff = spawnSync('rdiff', ['--version'], { encoding: 'utf8' }).status === 0;
export const hasNative = nativeLoadError() === undefined;

/** Root can mount the small file systems of the full-disk tests (CI runs as root). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** What a gated suite needs; `what` is the name skip-reporter.js knows it by. */
interface Requirement {
  what: 'rdiff' | 'the native addon' | 'root';
  present: boolean;
}

const RDIFF: Requirement = { what: 'rdiff', present: hasRdiff };
const NATIVE: Requirement = { what: 'the native addon', present: hasNative };
const ROOT: Requirement = { what: 'root', present: isRoot };

/** The marker skip-reporter.js looks for in the names of skipped suites. */
function skipMarker(missing: readonly string[]): string {
  return `[skipped: needs ${missing.join(', ')}]`;
}

/** describe.skip, with what is missing appended to the suite's name. */
function describeSkipped(marker: string): jest.Describe {
  const skipped = (name: unknown, body: () => void): void => describe.skip(`${String(name)} ${marker}`, body);
  return Object.assign(skipped, { only: describe.only, skip: describe.skip, each: describe.skip.each }) as jest.Describe;
}

function gate(...requirements: Requirement[]): jest.Describe {
  const missing = requirements.filter((r) => !r.present).map((r) => r.what);
  if (missing.length === 0) return describe;
  if (mustHaveAll) {
    throw new Error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required in CI but missing: run ./scripts/setup (see README, "Running the tests")`);
  }
  return describeSkipped(skipMarker(missing));
}

/** describe() for suites that compare with the rdiff command. */
export const describeWithRdiff: jest.Describe = gate(RDIFF, NATIVE);
/** describe() for suites that need the native addon. */
export const describeNative: jest.Describe = gate(NATIVE);

/** describe() for suites that compare with rdiff but do not need the addon. */
const describeRdiffOnly: jest.Describe = gate(RDIFF);

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

/** describe() for suites that mount file systems (loop-mounted ext4, tmpfs): root only. */
export const describeAsRoot: jest.Describe = gate(ROOT, NATIVE);
