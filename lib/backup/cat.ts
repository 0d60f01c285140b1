// cat(): one file of a backup, streamed into a Writable (the CLI's stdout)
// without restoring anything. The manifest is read whole first (digest and
// restore's rules) before a byte goes out; the file is rebuilt as restore
// does, each piece checked against its SHA-256 and the whole file at the
// end: on damage the stream fails (BACKUP_CORRUPT, exit 106), after the
// bytes that came before it. Intermediate versions live in a private
// temporary directory, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LibrsyncError } from '../errors';
import { ancestry } from './catalog';
import { EngineOptions, streamOptions } from './engine-options';
import { EntryRules } from './entry-rules';
import { rebuildToStream } from './file-rebuild';
import { ManifestEntry } from './manifest';
import { backupManifest } from './backup-entries';
import { manifestPathOf } from './path-order';
import { chainsOfName, underReaderLock } from './read-session';
import { BackupChoice, selectBackup } from './selection';
import { StoreArgument } from './store';
import { manifestKey } from './store-keys';

export interface CatOptions extends EngineOptions, BackupChoice {
  name?: string;
}

export interface CatResult {
  name: string;
  chain: string;
  id: string;
  level: number;
  path: string;
  size: number;
  sha256: string;
}

export async function cat(storeArgument: StoreArgument, path: string, output: Writable, options: CatOptions = {}): Promise<CatResult> {
  const wanted = manifestPathOf(path);
  if (wanted === undefined || wanted === '') throw new LibrsyncError('RS_PARAM_ERROR', `cat needs the path of a file, relative to the source, without '..': '${path}'`);
  return underReaderLock(storeArgument, options, async (store) => {
    const { name, chains } = await chainsOfName(store, options.name);
    const { chain, backup } = selectBackup(chains, name, options);
    const bases = ancestry(chain, backup);
    const key = manifestKey(name, chain.chain, backup.id);
    // The whole manifest first: its digest is only known at its end.
    const rules = new EntryRules(key, backup, new Map(bases.map((b) => [b.id, b])));
    let entry: ManifestEntry | undefined;
    for await (const e of backupManifest(store, name, chain.chain, backup.id).entries()) {
      options.signal?.throwIfAborted();
      rules.check(e);
      if (e.path === wanted && e.type !== 'deleted') entry = e;
    }
    const where = `${chain.chain}/${backup.id}`;
    if (!entry) throw new LibrsyncError('BACKUP_NOT_FOUND', `'${wanted}' is not in backup ${where}`);
    if (entry.type !== 'file') throw new LibrsyncError('RS_PARAM_ERROR', `'${wanted}' is a ${entry.type === 'dir' ? 'directory' : entry.type} in backup ${where}, not a file`);
    const scratch = await mkdtemp(join(tmpdir(), 'librsync-cat-'));
    try {
      await rebuildToStream({ store, name, chain: chain.chain, scratch, streamOptions: streamOptions(options), signal: options.signal }, entry, output);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return { name, chain: chain.chain, id: backup.id, level: backup.level, path: wanted, size: entry.size!, sha256: entry.sha256! };
  });
}
