// jest globalTeardown: stops the Swift of global-setup.ts.
import { SHARED_SWIFT_ENV } from './swift-server';

export default async function stopSharedSwift(): Promise<void> {
  const swift = globalThis.librsyncSharedSwift;
  if (!swift) return;
  globalThis.librsyncSharedSwift = undefined;
  delete process.env[SHARED_SWIFT_ENV];
  await swift.stop();
}
