// verify(): every backup of a name (or one backup and its bases) is checked
// for a whole chain, an intact manifest, and every stored piece present
// and matching its SHA-256. Each piece is read once, through the manifest
// of the backup that wrote it; later manifests' references to it are only
// checked to point inside a base. --against SOURCE also compares the live
// files with the newest (or chosen) backup, by metadata and content hash.
import { createReadStream } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { LibrsyncError } from '../errors';
import { BackupInfo, ChainInfo, ancestry, listNames, readChains, readNamedChains } from './catalog';
import { DigestStream } from './digest-stream';
import { Stage, pipeAll } from './pipe-all';
import { EngineOptions } from './engine-options';
import { compileExcludes } from './glob';
import { ManifestEntry, RecipeStep } from './manifest';
import { backupManifest } from './backup-entries';
import { EntryRules } from './entry-rules';
import { comparePaths } from './path-order';
import { readChecked } from './file-rebuild';
import { resolveName, selectBackup } from './selection';
import { openStoreArgument } from './open-store';
import { BackupStore, StoreArgument } from './store';
import { checkName, manifestKey } from './store-keys';
import { WalkedPath, walkOptionsOf, walkSource } from './source-walk';
import { liveXattrs } from './xattr-capture';
import { xattrsUnavailableReason } from '../xattrs';
import { whileLocked } from './lock-signal';

export interface VerifyOptions extends EngineOptions {
  name?: string;
  /** Only the newest backup at this level and its bases (default: every backup). */
  level?: number;
  /** Only this backup ('chain-000002/000001-L1', as list shows it) and its bases. */
  backup?: string;
  /** Also compare this live SOURCE with the newest (or --level) backup. */
  against?: string;
}

export interface VerifyProblem {
  name: string;
  /** The chain of `backup` (ids repeat in every chain). */
  chain: string;
  /** The backup's id, or the chain's when the problem is the chain's order. */
  backup: string;
  path?: string;
  code: string;
  message: string;
}

export interface Difference {
  path: string;
  change: 'added' | 'deleted' | 'modified';
  /** For 'modified': what differs (type, size, content, mode, owner, mtime, target, xattrs). */
  fields?: string[];
}

export interface VerifyResult {
  ok: boolean;
  backups: string[];
  piecesChecked: number;
  bytesChecked: number;
  problems: VerifyProblem[];
  /** With `against`: live paths that differ from the backup (first 1000; see differenceCount). */
  differences?: Difference[];
  differenceCount?: number;
}

const MAX_REPORTED = 1000;

async function drain(stages: Stage[]): Promise<void> {
  await pipeAll([...stages, new Writable({ write: (_c, _e, cb) => cb() })]);
}

export async function verify(storeArgument: StoreArgument, options: VerifyOptions = {}): Promise<VerifyResult> {
  const store = openStoreArgument(storeArgument, options);
  await store.open({ create: false });
  // A prune must not remove backups while they are checked (that would read as damage).
  const lock = await store.lock('reader');
  try {
    if (lock.warning) options.onWarning?.({ path: '', message: lock.warning });
    return await whileLocked(lock, options, (locked) => verifyLocked(store, locked));
  } finally {
    await lock.release();
  }
}

async function verifyLocked(store: BackupStore, options: VerifyOptions): Promise<VerifyResult> {
  const result: VerifyResult = { ok: true, backups: [], piecesChecked: 0, bytesChecked: 0, problems: [] };
  const problem = (p: VerifyProblem): void => {
    result.ok = false;
    if (result.problems.length < MAX_REPORTED) result.problems.push(p);
  };
  const names = options.name !== undefined ? [checkName(options.name)] : await listNames(store);
  // A backup named by chain and id belongs to one name: --name, or the only one.
  if (options.backup !== undefined && options.name === undefined && names.length > 1) await resolveName(store, undefined);
  if (names.length === 0) throw new LibrsyncError('BACKUP_NOT_FOUND', `${store.location} holds no backups`);
  for (const name of names) {
    const chains = options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name);
    for (const chain of chains) {
      for (const d of chain.damaged) problem({ name, chain: chain.chain, backup: d.id, code: d.error.code, message: d.error.message });
      if (chain.problem && chain.damaged.length === 0) problem({ name, chain: chain.chain, backup: chain.chain, code: 'BACKUP_CHAIN_BROKEN', message: `${chain.chain}: ${chain.problem}` });
    }
    let targets: { chain: ChainInfo; backup: BackupInfo }[];
    if (options.level !== undefined || options.backup !== undefined) {
      const chosen = selectBackup(chains, name, { level: options.level, backup: options.backup });
      try {
        targets = ancestry(chosen.chain, chosen.backup).map((backup) => ({ chain: chosen.chain, backup }));
      } catch (err) {
        problem({ name, chain: chosen.chain.chain, backup: chosen.backup.id, code: (err as LibrsyncError).code ?? 'BACKUP_CHAIN_BROKEN', message: (err as Error).message });
        targets = [chosen];
      }
    } else {
      targets = chains.flatMap((chain) => chain.backups.map((backup) => ({ chain, backup })));
    }
    for (const { chain, backup } of targets) {
      result.backups.push(`${name}/${chain.chain}/${backup.id}`);
      await verifyBackup(store, chain, backup, result, problem, options);
    }
  }
  // Names with nothing committed (only an interrupted first backup): nothing was verified, and that is not a pass.
  if (result.backups.length === 0 && result.ok) throw new LibrsyncError('BACKUP_NOT_FOUND', `${store.location} holds no committed backups${options.name !== undefined ? ` named '${options.name}'` : ''}`);
  if (options.against !== undefined) {
    const name = await resolveName(store, options.name);
    const { chain, backup } = selectBackup(await readChains(store, name), name, { level: options.level, backup: options.backup });
    const differences: Difference[] = [];
    let count = 0;
    await compareWithSource(store, chain, backup, resolve(options.against), (d) => {
      count++;
      if (differences.length < MAX_REPORTED) differences.push(d);
    }, options.signal);
    result.differences = differences;
    result.differenceCount = count;
  }
  return result;
}

async function verifyBackup(
  store: BackupStore,
  chain: ChainInfo,
  backup: BackupInfo,
  result: VerifyResult,
  problem: (p: VerifyProblem) => void,
  options: VerifyOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  const name = chain.name;
  const key = manifestKey(name, chain.chain, backup.id);
  const report = (err: unknown, path?: string): void => {
    const e = err as LibrsyncError;
    if (!e.code?.startsWith('BACKUP_')) throw err;
    problem({ name, chain: chain.chain, backup: backup.id, path, code: e.code, message: e.message });
  };
  let bases: Map<string, BackupInfo>;
  try {
    bases = new Map(ancestry(chain, backup).map((b) => [b.id, b]));
  } catch (err) {
    report(err);
    bases = new Map([[backup.id, backup]]);
  }
  // Restore's own rules: a backup verify passes is one restore accepts.
  let rules: EntryRules | undefined;
  try {
    rules = new EntryRules(key, backup, bases);
  } catch (err) {
    report(err);
  }
  const ctx = { store, name, chain: chain.chain };
  // Per pack, where the pieces checked so far end. A backup writes its pieces in manifest order, so a piece
  // ending there or before is one an earlier entry shares (identical files stored once): already read and counted.
  const checkedUpTo = new Map<string, number>();
  // Pieces found damaged: every path sharing one is reported.
  const damaged = new Set<string>();
  try {
    for await (const entry of backupManifest(store, name, chain.chain, backup.id).entries()) {
      signal?.throwIfAborted();
      try {
        rules?.check(entry);
      } catch (err) {
        report(err, entry.path);
        continue;
      }
      // Read each piece once: by the manifest of the backup that wrote it (a hard link or a copy repeats an earlier path's pieces).
      if (entry.type !== 'file' || entry.linkTo !== undefined) continue;
      const pieces: RecipeStep[] = [...entry.recipe!];
      if (entry.signature) pieces.push({ ...entry.signature, kind: 'raw', size: entry.signature.length });
      for (const piece of pieces) {
        if (piece.backup !== backup.id) continue;
        const packSize = backup.packs[piece.pack];
        if (!rules && (packSize === undefined || piece.offset + piece.length > packSize)) {
          report(new LibrsyncError('BACKUP_CORRUPT', `'${entry.path}' refers to bytes outside ${piece.backup}/${piece.pack}`), entry.path);
          continue;
        }
        const upTo = checkedUpTo.get(piece.pack) ?? 0;
        const at = `${piece.pack}:${piece.offset}`;
        if (piece.offset < upTo && piece.offset + piece.length <= upTo && !damaged.has(at)) continue;
        try {
          await drain(readChecked(ctx, entry, piece));
          checkedUpTo.set(piece.pack, Math.max(upTo, piece.offset + piece.length));
          result.piecesChecked++;
          result.bytesChecked += piece.length;
          onProgress?.({ phase: 'verify', files: result.piecesChecked, bytes: result.bytesChecked, path: entry.path });
        } catch (err) {
          damaged.add(at);
          report(err, entry.path);
        }
      }
    }
  } catch (err) {
    report(err);
  }
}

async function fileHash(path: string): Promise<string | undefined> {
  const digest = new DigestStream();
  try {
    await drain([createReadStream(path, { highWaterMark: 1 << 20 }), digest]);
    return digest.sha256;
  } catch {
    return undefined;
  }
}

async function compare(entry: ManifestEntry, live: WalkedPath): Promise<string[]> {
  const s = live.stat;
  const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'fifo' : s.isFile() ? 'file' : 'other';
  if (type !== entry.type) return ['type'];
  const fields: string[] = [];
  if (Number(s.mode & 0o7777n) !== entry.mode) fields.push('mode');
  if (Number(s.uid) !== entry.uid || Number(s.gid) !== entry.gid) fields.push('owner');
  if (type !== 'dir' && s.mtimeNs.toString() !== entry.mtimeNs) fields.push('mtime');
  if (type === 'symlink' && (await readlink(live.absolute).catch(() => undefined)) !== entry.target) fields.push('target');
  if (xattrsUnavailableReason() === undefined) {
    // As a backup would store them now: the same names, values and order, or nothing for none.
    const now = await liveXattrs(live.absolute, entry.type).catch(() => undefined);
    if (JSON.stringify(now?.xattrs) !== JSON.stringify(entry.xattrs)) fields.push('xattrs');
  }
  if (type === 'file') {
    if (Number(s.size) !== entry.size) fields.push('size', 'content');
    else if ((await fileHash(live.absolute)) !== entry.sha256) fields.push('content');
  }
  return fields;
}

async function compareWithSource(
  store: BackupStore,
  chain: ChainInfo,
  backup: BackupInfo,
  source: string,
  report: (d: Difference) => void,
  signal?: AbortSignal,
): Promise<void> {
  const entries = backupManifest(store, chain.name, chain.chain, backup.id).entries();
  const next = async (): Promise<ManifestEntry | undefined> => {
    for (;;) {
      const { value, done } = await entries.next();
      if (done) return undefined;
      if (value.type !== 'deleted') return value;
    }
  };
  let pending = await next();
  const excluded = compileExcludes(backup.header.exclude ?? []);
  for await (const live of walkSource(source, excluded, () => undefined, undefined, walkOptionsOf(backup.header))) {
    signal?.throwIfAborted();
    if (!live.stat.isFile() && !live.stat.isDirectory() && !live.stat.isSymbolicLink() && !live.stat.isFIFO()) continue;
    while (pending && comparePaths(pending.path, live.path) < 0) {
      report({ path: pending.path, change: 'deleted' });
      pending = await next();
    }
    if (pending && pending.path === live.path) {
      const fields = await compare(pending, live);
      if (fields.length) report({ path: live.path, change: 'modified', fields });
      pending = await next();
    } else {
      report({ path: live.path, change: 'added' });
    }
  }
  for (; pending; pending = await next()) report({ path: pending.path, change: 'deleted' });
}
