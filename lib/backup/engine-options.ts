// Options every engine function shares: cancellation, progress, warnings
// and what is handed through to the librsync streams.
import { Backend } from '../backend';
import { CompressionMode } from './compression/compression-mode';

export interface BackupWarning {
  /** Relative path concerned ('' for the source root). */
  path: string;
  message: string;
}

export interface BackupProgress {
  phase: 'backup' | 'restore' | 'verify';
  /** Entries handled so far. */
  files: number;
  /** File bytes read (backup, verify) or written (restore) so far. */
  bytes: number;
  /** Bytes expected in all, when known (for restore; for backup, the previous backup's total, an estimate). */
  totalBytes?: number;
  path?: string;
}

/** How a run opens its store: what every engine function, and openStoreArgument, takes. */
export interface StoreAccessOptions {
  /**
   * The passphrase of an encrypted store (never logged nor put in an
   * error). Given for a store that is not encrypted, the run fails with
   * STORE_NOT_ENCRYPTED; absent for an encrypted one, STORE_PASSWORD_REQUIRED.
   */
  password?: string;
  /** backup(): a store that holds no backups yet (or none at all) is made encrypted with `password`. */
  encrypt?: boolean;
}

export interface EngineOptions extends StoreAccessOptions {
  signal?: AbortSignal;
  /** Called often (per file and per MiB); keep it cheap. */
  onProgress?: (progress: BackupProgress) => void;
  onWarning?: (warning: BackupWarning) => void;
  /** Which librsync implementation runs signature, delta and patch; passed through to them. */
  backend?: Backend;
  /** Further options handed unchanged to signature(), delta(), patch() and loadSignature(). */
  operationOptions?: Record<string, unknown>;
  /** How a backup stores data, delta and signature pieces: 'auto' (default) compresses what shrinks, 'max' harder, 'off' not at all. Reading needs none. */
  compression?: CompressionMode;
}

/** What the engine passes into every librsync stream. */
export function streamOptions(options: EngineOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options.operationOptions };
  if (options.backend !== undefined) out.backend = options.backend;
  return out;
}

/** Warnings kept in results (all are counted and passed to onWarning). */
export const MAX_KEPT_WARNINGS = 1000;

export class WarningLog {
  readonly kept: BackupWarning[] = [];
  count = 0;

  constructor(private readonly listener?: (w: BackupWarning) => void) {}

  add(path: string, message: string): void {
    const warning = { path, message };
    this.count++;
    if (this.kept.length < MAX_KEPT_WARNINGS) this.kept.push(warning);
    this.listener?.(warning);
  }
}
