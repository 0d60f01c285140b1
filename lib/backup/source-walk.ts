// Walks SOURCE in comparePaths order: each directory's names are sorted and
// its subtree follows it (pre-order), so the walk merges with a manifest
// in one pass. lstat only (symlinks are never followed); memory holds the
// sorted names of the directories on the current path, nothing more.
import { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
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

/** `fileName`: what a single-file SOURCE is called in the backup (the name the user gave, if that was a symlink). */
export async function* walkSource(root: string, excluded: PathMatcher, onProblem: (p: WalkProblem) => void, fileName = basename(root)): AsyncGenerator<WalkedPath> {
  const rootStat = await lstat(root, { bigint: true });
  if (!rootStat.isDirectory()) {
    yield { path: fileName, absolute: root, stat: rootStat };
    return;
  }
  yield { path: '', absolute: root, stat: rootStat };
  yield* walkDirectory(root, '', excluded, onProblem);
}

async function* walkDirectory(dir: string, relative: string, excluded: PathMatcher, onProblem: (p: WalkProblem) => void): AsyncGenerator<WalkedPath> {
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
    yield { path, absolute, stat };
    if (stat.isDirectory()) yield* walkDirectory(absolute, path, excluded, onProblem);
  }
}
