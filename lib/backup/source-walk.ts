// Walks SOURCE in comparePaths order: each directory's names are sorted and
// its subtree follows it (pre-order), so the walk merges with a manifest
// in one pass. lstat only (symlinks are never followed); memory holds the
// sorted names of the directories on the current path, nothing more.
import { BigIntStats, constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { paramError } from '../errors';
import { PathMatcher } from './glob';
import { compareNames } from './path-order';

export interface WalkedPath {
  /** Relative to SOURCE, '/'-separated; '' for a directory SOURCE itself, its name for a file SOURCE. */
  path: string;
  absolute: string;
  stat: BigIntStats;
}

export interface WalkProblem {
  path: string;
  message: string;
}

/** Names that do not survive a UTF-8 round trip cannot be stored exactly: skipped with a warning. */
function decodeName(raw: Buffer): string | undefined {
  const name = raw.toString('utf8');
  return Buffer.from(name, 'utf8').equals(raw) ? name : undefined;
}

/** Printable ASCII as is, every other byte as \xNN: the name as `ls -b` shows it, so it can be found. */
function escapedBytes(raw: Buffer): string {
  let out = '';
  for (const byte of raw) out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

export interface WalkOptions {
  /** Do not descend into directories on another file system than SOURCE (the mount point itself is kept, empty). */
  oneFileSystem?: boolean;
  /** Leave out a directory (below SOURCE) holding one of these names; `NAME:HEADER`: only if that file starts with HEADER. */
  excludeIfPresent?: readonly string[];
}

/** `fileName`: what a single-file SOURCE is called in the backup (the name the user gave, if that was a symlink). */
export async function* walkSource(
  root: string,
  excluded: PathMatcher,
  onProblem: (p: WalkProblem) => void,
  fileName = basename(root),
  options: WalkOptions = {},
): AsyncGenerator<WalkedPath> {
  const rootStat = await lstat(root, { bigint: true });
  if (!rootStat.isDirectory()) {
    yield { path: fileName, absolute: root, stat: rootStat };
    return;
  }
  yield { path: '', absolute: root, stat: rootStat };
  const markers = (options.excludeIfPresent ?? []).map(parseMarker);
  yield* walkDirectory(root, '', excluded, onProblem, { device: options.oneFileSystem ? rootStat.dev : undefined, markers });
}

/** The walk a backup's manifest header describes (verify --against walks SOURCE the same way). */
export function walkOptionsOf(header: { oneFileSystem?: boolean; excludeIfPresent?: string[] }): WalkOptions {
  return { oneFileSystem: header.oneFileSystem === true, excludeIfPresent: header.excludeIfPresent ?? [] };
}

interface Marker {
  name: string;
  header?: Buffer;
}

/** `NAME` or `NAME:HEADER` (CACHEDIR.TAG:Signature: 8a477f59...), as restic and borg take them. */
export function parseMarker(text: string): Marker {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (name === '' || name.includes('/') || name === '.' || name === '..') throw paramError(`--exclude-if-present needs a file name, not '${text}'`);
  return colon < 0 ? { name } : { name, header: Buffer.from(text.slice(colon + 1)) };
}

/** Whether `dir` holds one of the markers (a regular file; with a header, one that starts with it). */
async function hasMarker(dir: string, markers: readonly Marker[]): Promise<boolean> {
  for (const marker of markers) {
    const path = join(dir, marker.name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (!marker.header) return true;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
    if (!handle) continue;
    try {
      const start = Buffer.alloc(marker.header.length);
      const { bytesRead } = await handle.read(start, 0, start.length, 0);
      if (bytesRead === start.length && start.equals(marker.header)) return true;
    } finally {
      await handle.close();
    }
  }
  return false;
}

interface WalkLimits {
  /** SOURCE's device, with --one-file-system. */
  device?: bigint;
  markers: readonly Marker[];
}

async function* walkDirectory(dir: string, relative: string, excluded: PathMatcher, onProblem: (p: WalkProblem) => void, limits: WalkLimits): AsyncGenerator<WalkedPath> {
  let raw: Buffer[];
  try {
    raw = await readdir(dir, { encoding: 'buffer' });
  } catch (err) {
    // A directory that vanished or cannot be read: report, keep going.
    onProblem({ path: relative, message: `cannot read directory: ${(err as Error).message}` });
    return;
  }
  const names: string[] = [];
  for (const r of raw) {
    const name = decodeName(r);
    if (name === undefined) onProblem({ path: relative, message: `skipped a name that is not valid UTF-8: '${escapedBytes(r)}'` });
    else names.push(name);
  }
  names.sort(compareNames);
  for (const name of names) {
    const path = relative === '' ? name : `${relative}/${name}`;
    if (excluded(path)) continue;
    const absolute = join(dir, name);
    let stat: BigIntStats;
    try {
      stat = await lstat(absolute, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onProblem({ path, message: `cannot stat: ${(err as Error).message}` });
      continue; // deleted since the directory was read: simply not in this backup
    }
    if (stat.isDirectory() && limits.markers.length > 0 && (await hasMarker(absolute, limits.markers))) continue;
    yield { path, absolute, stat };
    if (!stat.isDirectory()) continue;
    // Another file system (--one-file-system): its mount point is kept, empty.
    if (limits.device !== undefined && stat.dev !== limits.device) continue;
    yield* walkDirectory(absolute, path, excluded, onProblem, limits);
  }
}
