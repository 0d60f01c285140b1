// Which level the next backup of a name is, and what it is relative to,
// following OpenStack Freezer's rules: a new chain when asked (--level 0),
// when there is none, when the chain reached --max-level, is older than
// --restart-after, or used another block size or source kind; with
// --always-level N every backup past N is another level N against the
// newest level N-1; otherwise the next level after the newest backup.
import { LibrsyncError, paramError } from '../errors';
import { BackupInfo, ChainInfo } from './catalog';

export const DEFAULT_BLOCK_SIZE = 65536;

export interface LevelRequest {
  level?: number;
  maxLevel?: number;
  alwaysLevel?: number;
  restartAfterDays?: number;
  /** Undefined: the chain's (DEFAULT_BLOCK_SIZE for a new chain). */
  blockSize?: number;
  sourceKind: 'dir' | 'file';
}

export type LevelPlan =
  | { newChain: true; reason: string; level: 0; sequence: 0; blockSize: number }
  | { newChain: false; chain: ChainInfo; parent: BackupInfo; level: number; sequence: number; blockSize: number };

export function checkLevelRequest(r: LevelRequest): void {
  const count = (v: number | undefined, what: string, min = 0): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw paramError(`${what} must be an integer of at least ${min}`);
  };
  count(r.level, '--level');
  count(r.maxLevel, '--max-level');
  count(r.alwaysLevel, '--always-level', 1);
  count(r.blockSize, '--block-size', 1);
  if (r.restartAfterDays !== undefined && !(r.restartAfterDays > 0)) throw paramError('--restart-after must be a positive number of days');
  if (r.maxLevel !== undefined && r.alwaysLevel !== undefined) throw paramError('--max-level and --always-level cannot be combined');
  if (r.blockSize !== undefined && r.blockSize > 16 << 20) throw paramError('--block-size must be at most 16 MiB');
}

function newestAt(chain: ChainInfo, level: number): BackupInfo | undefined {
  return chain.backups.filter((b) => b.level === level).pop();
}

export function planLevel(chains: readonly ChainInfo[], r: LevelRequest, now: Date): LevelPlan {
  checkLevelRequest(r);
  const fresh = (reason: string): LevelPlan => ({ newChain: true, reason, level: 0, sequence: 0, blockSize: r.blockSize ?? DEFAULT_BLOCK_SIZE });
  const chain = [...chains].reverse().find((c) => c.backups.length > 0);
  if (r.level === 0) return fresh('level 0 requested');
  if (!chain) {
    if (r.level !== undefined) throw new LibrsyncError('BACKUP_NOT_FOUND', `no chain to add level ${r.level} to: make a level 0 first`);
    return fresh('first backup of this name');
  }
  if (chain.problem) {
    throw new LibrsyncError('BACKUP_CHAIN_BROKEN', `${chain.name}/${chain.chain} is broken (${chain.problem}): start a new chain with --level 0`);
  }
  const base = chain.backups[0];
  const latest = chain.backups[chain.backups.length - 1];
  const blockSize = base.blockSize;
  if (r.blockSize !== undefined && r.blockSize !== blockSize) return fresh(`block size ${r.blockSize} differs from the chain's ${blockSize}`);
  if (base.header.source.kind !== r.sourceKind) return fresh(`the source is now a ${r.sourceKind === 'dir' ? 'directory' : 'file'}`);
  if (r.restartAfterDays !== undefined && now.getTime() - base.started.getTime() >= r.restartAfterDays * 86400e3) {
    return fresh(`the chain's level 0 is older than ${r.restartAfterDays} days`);
  }
  const next = (level: number, parent: BackupInfo | undefined): LevelPlan => {
    if (!parent) throw new LibrsyncError('BACKUP_NOT_FOUND', `${chain.name}/${chain.chain} has no level ${level - 1} to base level ${level} on`);
    return { newChain: false, chain, parent, level, sequence: latest.sequence + 1, blockSize };
  };
  if (r.level !== undefined) return next(r.level, newestAt(chain, r.level - 1));
  if (r.maxLevel !== undefined && latest.level >= r.maxLevel) return fresh(`the chain reached level ${r.maxLevel} (--max-level)`);
  if (r.alwaysLevel !== undefined && latest.level >= r.alwaysLevel) return next(r.alwaysLevel, newestAt(chain, r.alwaysLevel - 1));
  return next(latest.level + 1, latest);
}
