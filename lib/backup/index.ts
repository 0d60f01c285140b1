// librsync/backup: level-based block-incremental backups of files and
// directory trees over the librsync streams.
export { backup } from './backup';
export type { BackupOptions, BackupResult } from './backup';
export { restore } from './restore';
export type { RestoreOptions, RestoreResult } from './restore';
export { list, listFiles } from './list';
export type { ListOptions, ListResult, ListedChain, ListedBackup, ListFilesOptions } from './list';
export { verify } from './verify';
export type { VerifyOptions, VerifyResult, VerifyProblem, Difference } from './verify';
export { prune } from './prune';
export type { PruneOptions, PruneResult, PrunedChain, PruneDecision } from './prune';
export { cat } from './cat';
export type { CatOptions, CatResult } from './cat';
export { diff } from './diff';
export type { DiffOptions, DiffResult, BackupDifference } from './diff';
export { LocalDirectoryStore, STORE_FORMAT, STORE_FORMAT_FILE } from './local-store';
export type { BackupStore, ObjectWriter, ByteRange, StoreLock } from './store';
export type { BackupProgress, BackupWarning, EngineOptions } from './engine-options';
export type { CompressionMode } from './compression';
export type { ManifestEntry, ManifestHeader, ManifestTrailer, BackupCounts, ObjectRef, RecipeStep, EntryType } from './manifest';
export { DEFAULT_BLOCK_SIZE } from './level-plan';
export { defaultName } from './selection';
export { parseTime } from './time-spec';
export { LibrsyncError } from '../errors';
export type { LibrsyncErrorCode } from '../errors';
