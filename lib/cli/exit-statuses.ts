// Exit statuses as a command's help lists them. Each command declares its
// own list: the lines shared by several commands are here, so they read
// the same in every help; a status that means something particular to a
// command is written in its file.

export interface ExitStatusHelp {
  /** '0', '130/143'. */
  status: string;
  meaning: string;
}

function status(code: string, meaning: string): ExitStatusHelp {
  return { status: code, meaning };
}

export const EXIT_HELP = {
  success: status('0', 'success'),
  usage: status('101', 'usage: unknown option or command, option of another command, wrong arguments'),
  interrupted: status('130/143', 'interrupted by SIGINT / SIGTERM: nothing half-written is left'),

  // rdiff's own (librsync's rs_result).
  rdiffIo: status('100', 'I/O error: a missing or unreadable file, an existing output without -f'),
  outOfMemory: status('102', 'out of memory'),
  internal: status('107', 'internal error, or --backend native without the addon'),
  brokenPipe: status('141', 'the reader of stdout went away'),

  // The backup commands'.
  storeInvalid: status('104', 'BACKUP_STORE_INVALID: STORE is not a backup store, or a newer format'),
  storeKey: status('100', 'STORE_KEY_WRONG: the passphrase opens none of the keys; STORE_PASSWORD_REQUIRED: an encrypted STORE and no passphrase'),
  notEncrypted: status('104', 'STORE_NOT_ENCRYPTED: a passphrase was given (LIBRSYNC_PASSWORD too) for a STORE that is not encrypted'),
} as const;
