// The process's standard streams, behind one small interface so that the
// commands never reach for `process` themselves.
import { Readable, Writable } from 'node:stream';

export interface TerminalAware {
  isTTY?: boolean;
}

export interface CliIO {
  stdin: Readable;
  /** Descriptor of stdin, to fstat it (a redirected file has a size). */
  stdinFd: number;
  stdout: Writable & TerminalAware;
  stderr: Writable & TerminalAware;
}

export function processIO(): CliIO {
  return { stdin: process.stdin, stdinFd: 0, stdout: process.stdout, stderr: process.stderr };
}
