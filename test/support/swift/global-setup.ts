// jest globalSetup: one Swift for every suite of the run (see README.md
// here). Suites find it through LIBRSYNC_TEST_SWIFT; startSwift() returns a
// handle on it unless asked for a Swift of the suite's own.
import { hasSwift, SHARED_SWIFT_ENV, startSwift, SwiftServer } from './swift-server';

declare global {
  // eslint-disable-next-line no-var
  var librsyncSharedSwift: SwiftServer | undefined;
}

export default async function startSharedSwift(): Promise<void> {
  if (!hasSwift || process.env[SHARED_SWIFT_ENV]) return; // suites gate themselves
  const swift = await startSwift({ own: true });
  globalThis.librsyncSharedSwift = swift;
  process.env[SHARED_SWIFT_ENV] = JSON.stringify(swift.info);
}
