// The one error class the CLI raises itself: carries the error code, the
// exit status (rdiff's rs_result for the same failure) and whether a
// usage hint should follow the message.
import { RS_RESULT } from '../errors';

export interface CliErrorOptions {
  /** The errno-style code behind an I/O failure (ENOENT, EEXIST, ...). */
  systemCode?: string;
  /** Print "Try 'librsync --help'" after the message. */
  usage?: boolean;
}

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly systemCode?: string;
  readonly usage: boolean;

  constructor(code: string, exitCode: number, message: string, options: CliErrorOptions = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    this.usage = options.usage ?? false;
    if (options.systemCode) this.systemCode = options.systemCode;
  }
}

/** Bad command line: rdiff exits with RS_SYNTAX_ERROR and a hint. */
export function usageError(message: string): CliError {
  return new CliError('RS_SYNTAX_ERROR', RS_RESULT.RS_SYNTAX_ERROR, message, { usage: true });
}

/** Stopped by a signal: exit 128 + its number, as a shell reports a killed rdiff. */
export function interrupted(signal: 'SIGINT' | 'SIGTERM'): CliError {
  const number = signal === 'SIGINT' ? 2 : 15;
  return new CliError('INTERRUPTED', 128 + number, `interrupted by ${signal}`);
}

/** A file problem found before any work starts (exists, is a directory, ...). */
export function ioError(message: string, systemCode?: string): CliError {
  return new CliError('RS_IO_ERROR', RS_RESULT.RS_IO_ERROR, message, { systemCode });
}
