// What this process runs on: useful in bug reports and the CLI's --version.
import { Backend, resolveBackend } from './backend';
import { nativeBinding, nativeLoadError, nativeLoadReason } from './native-binding';

export interface BackendInfo {
  /** The backend calls use when they name none. */
  backend: Backend;
  /** Whether the native addon loads here. */
  nativeAvailable: boolean;
  /** Why it does not, when it does not. */
  nativeError?: string;
  /** The same in a few words. */
  nativeErrorReason?: string;
  /** Version of the librsync the addon is linked with (native only). */
  librsyncVersion?: string;
  /** Digest of the addon's C++ sources (native only). */
  sourceHash?: string;
}

export function backendInfo(): BackendInfo {
  const error = nativeLoadError();
  const info: BackendInfo = { backend: resolveBackend(), nativeAvailable: !error };
  if (error) {
    info.nativeError = error.message;
    info.nativeErrorReason = nativeLoadReason();
  } else {
    const binding = nativeBinding();
    info.librsyncVersion = binding.librsyncVersion;
    info.sourceHash = binding.sourceHash;
  }
  return info;
}
