// Which name and which backup a command is about: --name or the only name
// in the store; the newest backup, the newest at a level, the newest
// committed at or before a time, or one named by chain and id.
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { LibrsyncError, paramError } from '../errors';
import { BackupInfo, ChainInfo, listNames } from './catalog';
import { BackupStore } from './store';
import { checkName, parseBackupId, parseChainId } from './store-keys';

/** NAME for a SOURCE: its base name (made safe) and a short digest of its absolute path, so two "data" directories differ. */
export function defaultName(source: string): string {
  const absolute = resolve(source);
  const base = basename(absolute).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(0, 100) || 'root';
  return `${base}-${createHash('sha256').update(absolute).digest('hex').slice(0, 8)}`;
}

export async function resolveName(store: BackupStore, name: string | undefined): Promise<string> {
  if (name !== undefined) return checkName(name);
  const names = await listNames(store);
  if (names.length === 1) return names[0];
  if (names.length === 0) throw new LibrsyncError('BACKUP_NOT_FOUND', `${store.location} holds no backups`);
  throw new LibrsyncError('BACKUP_NAME_REQUIRED', `${store.location} holds several names (${names.join(', ')}): choose one with --name`);
}

export interface BackupChoice {
  /** The newest backup at this level. */
  level?: number;
  /** The newest backup committed at or before this time. */
  at?: Date;
  /** One backup by chain and id, as list shows it: 'chain-000002/000001-L1' (ids repeat in every chain). */
  backup?: string;
}

/** CHAIN/ID, as list shows a backup; anything else is RS_PARAM_ERROR. */
export function parseBackupRef(text: string): { chain: string; id: string } {
  const slash = text.indexOf('/');
  const chain = text.slice(0, slash);
  const id = text.slice(slash + 1);
  if (slash < 0 || parseChainId(chain) === undefined || parseBackupId(id) === undefined) {
    throw paramError(`invalid backup '${text}': expected CHAIN/ID as list shows it, such as chain-000002/000001-L1`);
  }
  return { chain, id };
}

/** The backup `ref` names; BACKUP_NOT_FOUND naming it when there is none (its damaged manifest's error when that is what stands there). */
function selectByRef(chains: readonly ChainInfo[], name: string, ref: string): { chain: ChainInfo; backup: BackupInfo } {
  const { chain: chainId, id } = parseBackupRef(ref);
  const chain = chains.find((c) => c.chain === chainId);
  const backup = chain?.backups.find((b) => b.id === id);
  if (chain && backup) return { chain, backup };
  const damaged = chain?.damaged.find((d) => d.id === id);
  if (damaged) throw damaged.error;
  const why = chain?.uncommitted.includes(id) ? ': it was never committed (an interrupted backup)' : '';
  throw new LibrsyncError('BACKUP_NOT_FOUND', `no backup ${ref} of '${name}'${why}`);
}

/** Commit order: by chain, then sequence. Never by recorded time, which a clock set back would reorder. */
function newer(a: { chain: ChainInfo; backup: BackupInfo }, b: { chain: ChainInfo; backup: BackupInfo } | undefined): boolean {
  return !b || a.chain.number > b.chain.number || (a.chain.number === b.chain.number && a.backup.sequence > b.backup.sequence);
}

export function selectBackup(chains: readonly ChainInfo[], name: string, choice: BackupChoice = {}): { chain: ChainInfo; backup: BackupInfo } {
  if (choice.backup !== undefined) {
    if (choice.level !== undefined || choice.at !== undefined) throw paramError(`choose one of backup, level and at: each picks the backup`);
    return selectByRef(chains, name, choice.backup);
  }
  let best: { chain: ChainInfo; backup: BackupInfo } | undefined;
  for (const chain of chains) {
    for (const backup of chain.backups) {
      if (choice.level !== undefined && backup.level !== choice.level) continue;
      if (choice.at !== undefined && backup.finished > choice.at) continue;
      if (newer({ chain, backup }, best)) best = { chain, backup };
    }
  }
  // A damaged manifest newer than the choice (at its level, if one was asked) was probably what was wanted: say so rather than restore an older one.
  if (choice.at === undefined) {
    for (const chain of chains) {
      if (best && chain.number < best.chain.number) continue;
      const newer = chain.damaged.find(
        (d) => (!best || chain.number > best.chain.number || d.sequence > best.backup.sequence) && (choice.level === undefined || d.level === choice.level),
      );
      if (newer) throw newer.error;
    }
  }
  if (!best) {
    const what = choice.level !== undefined ? ` at level ${choice.level}` : '';
    const when = choice.at !== undefined ? ` at or before ${choice.at.toISOString()}` : '';
    throw new LibrsyncError('BACKUP_NOT_FOUND', `no backup of '${name}'${what}${when}`);
  }
  return best;
}
