// diff(): what changed between two backups of a name, from their manifests
// alone (no data is read): paths added, removed, and modified (type, size,
// content by SHA-256, mode, owner, mtime, symlink target). Both manifests
// are merged in one streaming pass (they share the path order), so memory
// does not grow with the tree; every difference goes to onDifference as it
// is found, and the result keeps the first 1000 and the counts.
import { LibrsyncError } from '../errors';
import { EngineOptions } from './engine-options';
import { ManifestEntry } from './manifest';
import { backupManifest } from './backup-entries';
import { comparePaths } from './path-order';
import { chainsOfName, underReaderLock } from './read-session';
import { BackupChoice, selectBackup } from './selection';
import { BackupStore, StoreArgument } from './store';
import { manifestKey } from './store-keys';

export interface DiffOptions extends EngineOptions {
  name?: string;
  /** The older backup (or any: the order only decides what is "added" and what "removed"). */
  from: BackupChoice;
  to: BackupChoice;
  /** Each difference as it is found (the result keeps only the first 1000); a promise returned holds the walk back (a slow stdout). */
  onDifference?: (d: BackupDifference) => void | Promise<void>;
}

export interface BackupDifference {
  path: string;
  change: 'added' | 'removed' | 'modified';
  /** Type in `to` (added, modified) or in `from` (removed). */
  type: string;
  /** For modified: what differs (type, size, content, mode, owner, mtime, target, xattrs). */
  fields?: string[];
  sizeBefore?: number;
  sizeAfter?: number;
}

export interface DiffResult {
  name: string;
  from: { chain: string; id: string; level: number };
  to: { chain: string; id: string; level: number };
  added: number;
  removed: number;
  modified: number;
  /** Bytes of files added or grown, minus those removed or shrunk (file sizes, not stored bytes). */
  sizeChange: number;
  differences: BackupDifference[];
}

const MAX_KEPT = 1000;

function fieldsThatDiffer(a: ManifestEntry, b: ManifestEntry): string[] {
  if (a.type !== b.type) return ['type'];
  const fields: string[] = [];
  if (a.type === 'file') {
    if (a.size !== b.size) fields.push('size');
    if (a.sha256 !== b.sha256) fields.push('content');
  }
  if (a.mode !== b.mode) fields.push('mode');
  if (a.uid !== b.uid || a.gid !== b.gid) fields.push('owner');
  if (a.type !== 'dir' && a.mtimeNs !== b.mtimeNs) fields.push('mtime');
  if (a.type === 'symlink' && a.target !== b.target) fields.push('target');
  // Both written by xattrsField, whose keys are sorted: equal sets give equal JSON.
  if (JSON.stringify(a.xattrs) !== JSON.stringify(b.xattrs)) fields.push('xattrs');
  return fields;
}

function size(e: ManifestEntry): number | undefined {
  return e.type === 'file' ? e.size : undefined;
}

/** A manifest's entries without the 'deleted' markers (absent is absent). */
async function* present(store: BackupStore, name: string, chain: string, id: string): AsyncGenerator<ManifestEntry> {
  for await (const e of backupManifest(store, name, chain, id).entries()) if (e.type !== 'deleted') yield e;
}

export async function diff(storeArgument: StoreArgument, options: DiffOptions): Promise<DiffResult> {
  return underReaderLock(storeArgument, options, async (store) => {
    const { name, chains } = await chainsOfName(store, options.name);
    const from = selectBackup(chains, name, options.from);
    const to = selectBackup(chains, name, options.to);
    if (from.backup.header.source.kind !== to.backup.header.source.kind) {
      throw new LibrsyncError('RS_PARAM_ERROR', `${from.chain.chain}/${from.backup.id} and ${to.chain.chain}/${to.backup.id} back up a ${from.backup.header.source.kind} and a ${to.backup.header.source.kind}`);
    }
    const result: DiffResult = {
      name,
      from: { chain: from.chain.chain, id: from.backup.id, level: from.backup.level },
      to: { chain: to.chain.chain, id: to.backup.id, level: to.backup.level },
      added: 0,
      removed: 0,
      modified: 0,
      sizeChange: 0,
      differences: [],
    };
    const report = async (d: BackupDifference): Promise<void> => {
      result[d.change]++;
      result.sizeChange += (d.sizeAfter ?? 0) - (d.sizeBefore ?? 0);
      if (result.differences.length < MAX_KEPT) result.differences.push(d);
      await options.onDifference?.(d);
    };
    const older = present(store, name, from.chain.chain, from.backup.id);
    const newer = present(store, name, to.chain.chain, to.backup.id);
    try {
      await merge(older, newer, report, options.signal);
    } finally {
      await Promise.all([older.return(undefined), newer.return(undefined)]);
    }
    return result;
  });
}

/** Walks both manifests in their shared path order, reporting what one has and the other has not, or has otherwise. */
async function merge(
  older: AsyncGenerator<ManifestEntry>,
  newer: AsyncGenerator<ManifestEntry>,
  report: (d: BackupDifference) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let a = (await older.next()).value as ManifestEntry | undefined;
  let b = (await newer.next()).value as ManifestEntry | undefined;
  while (a || b) {
    signal?.throwIfAborted();
    const order = !a ? 1 : !b ? -1 : comparePaths(a.path, b.path);
    if (order < 0) {
      await report({ path: a!.path, change: 'removed', type: a!.type, sizeBefore: size(a!) });
      a = (await older.next()).value;
    } else if (order > 0) {
      await report({ path: b!.path, change: 'added', type: b!.type, sizeAfter: size(b!) });
      b = (await newer.next()).value;
    } else {
      const fields = fieldsThatDiffer(a!, b!);
      if (fields.length) await report({ path: b!.path, change: 'modified', type: b!.type, fields, sizeBefore: size(a!), sizeAfter: size(b!) });
      a = (await older.next()).value;
      b = (await newer.next()).value;
    }
  }
}
