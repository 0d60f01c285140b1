// Turns anything thrown while running a command into what is reported:
// a code, one line of message and rdiff's exit status for that kind of
// failure (Node's system errors are I/O errors, 100, as in rdiff).
import { LibrsyncError, RS_RESULT } from '../errors';
import { CliError } from './cli-error';
import { streamRole } from './stream-roles';

export interface Failure {
  code: string;
  message: string;
  exitCode: number;
  systemCode?: string;
  /** librsync's own trace lines, shown with -v. */
  detail?: string;
  usage?: boolean;
  /** What the command found before it failed (verify's problems, restore's files not restored): beside the error in --json. */
  report?: Record<string, unknown>;
}

interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

function isSystemError(err: unknown): err is SystemError {
  const e = err as Partial<SystemError> | null;
  return !!e && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.message === 'string';
}

/** The reader closed our stdout early: a quiet exit, like rdiff killed by SIGPIPE. */
export function isBrokenPipe(err: unknown): boolean {
  return isSystemError(err) && err.code === 'EPIPE';
}

/** Node says "ENOENT: no such file or directory, open 'x'"; we want the middle part. */
function systemDescription(err: SystemError): string {
  const text = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
  return text.split(', ')[0];
}

function systemFailure(err: SystemError): Failure {
  const role = streamRole(err);
  const what = role ? `cannot ${role.action} '${role.name}'` : err.path ? `cannot ${err.syscall ?? 'use'} '${err.path}'` : 'I/O error';
  return {
    code: 'RS_IO_ERROR',
    message: `${what}: ${systemDescription(err)}`,
    exitCode: RS_RESULT.RS_IO_ERROR,
    systemCode: err.code,
  };
}

export function describeFailure(err: unknown): Failure {
  // An aborted pipeline carries why it was aborted (the signal received).
  if (err instanceof Error && err.name === 'AbortError' && err.cause instanceof CliError) err = err.cause;
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: err.exitCode, systemCode: err.systemCode, usage: err.usage };
  }
  if (err instanceof LibrsyncError) {
    const report = (err as { report?: Record<string, unknown> }).report;
    return { code: err.code, message: err.message, exitCode: err.result, detail: err.detail, ...(report ? { report } : {}) };
  }
  if (isSystemError(err)) return systemFailure(err);
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'RS_INTERNAL_ERROR', message, exitCode: RS_RESULT.RS_INTERNAL_ERROR };
}
