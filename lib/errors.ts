// One error class for everything this package reports. `code` is stable
// and documented; `result` is the librsync rs_result category (and the
// exit status `rdiff` uses for the same failure).

export type LibrsyncErrorCode =
  | 'RS_IO_ERROR'
  | 'RS_SYNTAX_ERROR'
  | 'RS_MEM_ERROR'
  | 'RS_INPUT_ENDED'
  | 'RS_BAD_MAGIC'
  | 'RS_UNIMPLEMENTED'
  | 'RS_CORRUPT'
  | 'RS_INTERNAL_ERROR'
  | 'RS_PARAM_ERROR'
  | 'RS_COPY_OUT_OF_RANGE'
  | 'RS_OUTPUT_LIMIT'
  | 'RS_BASIS_CHANGED'
  | 'RS_BLOCK_TOO_LONG'
  | 'RS_SIGNATURE_MISMATCH'
  | 'RS_ADDON_UNAVAILABLE'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_OBJECT_MISSING'
  | 'BACKUP_CHAIN_BROKEN'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_NAME_REQUIRED'
  | 'BACKUP_LOCKED'
  | 'BACKUP_STORE_INVALID'
  | 'BACKUP_SOURCE_UNSUPPORTED'
  | 'TARGET_NOT_EMPTY'
  | 'STORE_UNAVAILABLE'
  | 'STORE_ACCESS_DENIED'
  | 'STORE_NOT_FOUND'
  | 'STORE_KEY_WRONG'
  | 'STORE_PASSWORD_REQUIRED'
  | 'STORE_NOT_ENCRYPTED'
  | 'STORE_EXISTS';

/** rs_result values, as returned by librsync and used as rdiff exit codes. */
export const RS_RESULT = {
  RS_DONE: 0,
  RS_IO_ERROR: 100,
  RS_SYNTAX_ERROR: 101,
  RS_MEM_ERROR: 102,
  RS_INPUT_ENDED: 103,
  RS_BAD_MAGIC: 104,
  RS_UNIMPLEMENTED: 105,
  RS_CORRUPT: 106,
  RS_INTERNAL_ERROR: 107,
  RS_PARAM_ERROR: 108,
} as const;

const RESULT_OF_CODE: Record<LibrsyncErrorCode, number> = {
  ...(({ RS_DONE, ...failures }) => failures)(RS_RESULT),
  RS_COPY_OUT_OF_RANGE: RS_RESULT.RS_CORRUPT,
  RS_OUTPUT_LIMIT: RS_RESULT.RS_PARAM_ERROR,
  RS_BASIS_CHANGED: RS_RESULT.RS_IO_ERROR,
  RS_BLOCK_TOO_LONG: RS_RESULT.RS_CORRUPT,
  RS_SIGNATURE_MISMATCH: RS_RESULT.RS_PARAM_ERROR,
  RS_ADDON_UNAVAILABLE: RS_RESULT.RS_INTERNAL_ERROR,
  // Backups: damage found in the store is "corrupt", as for a bad delta;
  // something absent or refused is an I/O error, as a missing file is.
  BACKUP_CORRUPT: RS_RESULT.RS_CORRUPT,
  BACKUP_OBJECT_MISSING: RS_RESULT.RS_CORRUPT,
  BACKUP_CHAIN_BROKEN: RS_RESULT.RS_CORRUPT,
  BACKUP_NOT_FOUND: RS_RESULT.RS_IO_ERROR,
  BACKUP_NAME_REQUIRED: RS_RESULT.RS_PARAM_ERROR,
  BACKUP_LOCKED: RS_RESULT.RS_IO_ERROR,
  BACKUP_STORE_INVALID: RS_RESULT.RS_BAD_MAGIC,
  BACKUP_SOURCE_UNSUPPORTED: RS_RESULT.RS_PARAM_ERROR,
  TARGET_NOT_EMPTY: RS_RESULT.RS_IO_ERROR,
  // An object store that cannot be reached (after retries), refuses our
  // credentials or has no such bucket: I/O errors, as an unreachable disk,
  // a permission denied or a missing directory are for a local store.
  STORE_UNAVAILABLE: RS_RESULT.RS_IO_ERROR,
  STORE_ACCESS_DENIED: RS_RESULT.RS_IO_ERROR,
  STORE_NOT_FOUND: RS_RESULT.RS_IO_ERROR,
  // An encrypted store's passphrase is its credentials: wrong or missing,
  // it is refused as S3 credentials are. A store that is not the kind
  // asked for (plain when a passphrase was given) is not a store this run
  // can use, as a store of a newer format is not; init on a store that
  // exists already is refused as a restore into a non-empty target is.
  STORE_KEY_WRONG: RS_RESULT.RS_IO_ERROR,
  STORE_PASSWORD_REQUIRED: RS_RESULT.RS_IO_ERROR,
  STORE_NOT_ENCRYPTED: RS_RESULT.RS_BAD_MAGIC,
  STORE_EXISTS: RS_RESULT.RS_IO_ERROR,
};

export interface LibrsyncErrorOptions {
  /** librsync's own trace messages for this failure, when it gave any. */
  detail?: string;
  /** 'signature', 'loadsig', 'delta', 'patch', ... */
  operation?: string;
  cause?: unknown;
}

export class LibrsyncError extends Error {
  readonly code: LibrsyncErrorCode;
  readonly result: number;
  readonly detail?: string;
  readonly operation?: string;

  constructor(code: LibrsyncErrorCode, message: string, options: LibrsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LibrsyncError';
    this.code = code;
    this.result = RESULT_OF_CODE[code] ?? RS_RESULT.RS_INTERNAL_ERROR;
    if (options.detail) this.detail = options.detail;
    if (options.operation) this.operation = options.operation;
  }
}

export function paramError(message: string): LibrsyncError {
  return new LibrsyncError('RS_PARAM_ERROR', message);
}

/** Native errors carry code/result/detail; give them our class and context. */
export function fromNativeError(err: unknown, operation: string): Error {
  if (err instanceof LibrsyncError) return err;
  const e = err as { code?: unknown; message?: unknown; detail?: unknown };
  if (e && typeof e.code === 'string' && e.code in RESULT_OF_CODE) {
    return new LibrsyncError(e.code as LibrsyncErrorCode, `${operation} failed: ${String(e.message)}`, {
      detail: typeof e.detail === 'string' ? e.detail : undefined,
      operation,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
