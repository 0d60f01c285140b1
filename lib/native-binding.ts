// Loads the compiled addon: a prebuild from prebuilds/ or a local build,
// through node-gyp-build, or exactly the file LIBRSYNC_ADDON_PATH names
// (the sanitizer run's separate build). When it does not load, the error
// says why and what to install instead of a bare "Cannot find module".
import { join, resolve } from 'node:path';
import { LibrsyncError } from './errors';
import { StepFunction } from './job';

export interface NativeJobState {
  /** Progress is reported through the Float64Array given to the constructor. */
  step: StepFunction<(err: (Error & { code?: string; detail?: string }) | null) => void>;
  stats(): Record<string, number>;
  takeSignature(): NativeSignatureSet;
  close(): void;
}

export interface NativeSignatureSet {
  info(): { magic: number; blockLength: number; strongLength: number; blockCount: number } | null;
  close(): void;
  isClosed(): boolean;
  /** Another handle on the same set (kept alive until both are closed). */
  share(): NativeSignatureSet;
}

export interface NativeBinding {
  NativeJob: new (kind: number, state: Float64Array, options: object) => NativeJobState;
  NativeSignatureSet: Function;
  librsyncVersion: string;
  sourceHash: string;
  maxBlockLength: number;
  /** lseek(SEEK_DATA/SEEK_HOLE): the data of bytes [0, size) of fd as [offset, length, ...]; see lib/data-extents.ts. */
  dataExtents(fd: number, size: number, maxExtents: number, callback: (err: NodeJS.ErrnoException | null, extents: Float64Array) => void): void;
  /** utimensat: a path's atime and mtime set to `mtimeNs` exactly. */
  setFileTimes(path: string, mtimeNs: bigint, noFollow: boolean, callback: (err: Error | null) => void): void;
  /** syncfs(2): every file written so far on the file system holding `fd` made durable (sync() off Linux). */
  syncFileSystem(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void;
  /** Extended attributes of a path (never followed) or a descriptor; see lib/xattrs.ts. */
  xattrList(target: string | number, callback: (err: NodeJS.ErrnoException | null, names: Buffer[]) => void): void;
  xattrGet(target: string | number, name: string | Uint8Array, callback: (err: NodeJS.ErrnoException | null, value: Buffer) => void): void;
  xattrSet(target: string | number, name: string | Uint8Array, value: Uint8Array, flags: 0 | 1 | 2, callback: (err: NodeJS.ErrnoException | null) => void): void;
  xattrRemove(target: string | number, name: string | Uint8Array, callback: (err: NodeJS.ErrnoException | null) => void): void;
  xattrReadAll(
    target: string | number,
    maxBytes: number,
    callback: (err: NodeJS.ErrnoException | null, items: { name: Buffer; value?: Buffer; code?: string; skipped?: true }[]) => void,
  ): void;
}

export const packageRoot = join(__dirname, '..');

const INSTALL_HINT =
  'The native addon needs the librsync shared library: on Debian/Ubuntu `apt-get install librsync2` ' +
  '(and librsync-dev, python3, make and g++ to build from source), on Fedora `dnf install librsync` ' +
  '(librsync-devel to build), on macOS `brew install librsync`; then rebuild it with `npm rebuild librsync` ' +
  '(npm versions that hold back install scripts need `npm install-scripts approve librsync` first).';

let cached: { binding?: NativeBinding; error?: LibrsyncError; reason?: string } | undefined;

function load(): { binding?: NativeBinding; error?: LibrsyncError; reason?: string } {
  // Set and not empty: that file and nothing else (no fallback to
  // build/ or prebuilds/, so a run meant for one build never tests another).
  const override = process.env.LIBRSYNC_ADDON_PATH || undefined;
  try {
    if (override !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { binding: require(resolve(override)) as NativeBinding };
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return { binding: nodeGypBuild(packageRoot) };
  } catch (cause) {
    const first = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    const why = override === undefined ? first : `LIBRSYNC_ADDON_PATH=${override}: ${first}`;
    return {
      reason: why,
      error: new LibrsyncError(
        'RS_ADDON_UNAVAILABLE',
        `the librsync native addon could not be loaded (${why}). ${INSTALL_HINT}`,
        { cause },
      ),
    };
  }
}

/** The addon, or throws RS_ADDON_UNAVAILABLE explaining why. */
export function nativeBinding(): NativeBinding {
  cached ??= load();
  if (cached.error) throw cached.error;
  return cached.binding!;
}

/** Why the addon cannot load, or undefined when it can. */
export function nativeLoadError(): LibrsyncError | undefined {
  cached ??= load();
  return cached.error;
}

/** Why the addon cannot load, in a few words (no install advice), or undefined when it can. */
export function nativeLoadReason(): string | undefined {
  cached ??= load();
  return cached.reason;
}
