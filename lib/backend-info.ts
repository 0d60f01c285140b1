// What this process runs on: useful in bug reports and the CLI's --version.
import { nativeBinding } from './native-binding';

export interface BackendInfo {
  backend: 'native';
  librsyncVersion: string;
  sourceHash: string;
}

export function backendInfo(): BackendInfo {
  const binding = nativeBinding();
  return { backend: 'native', librsyncVersion: binding.librsyncVersion, sourceHash: binding.sourceHash };
}
