// Runs the built CLI (bin/librsync.js → dist/cli) and rdiff the same way,
// so tests can compare exit status, stdout bytes and stderr.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

export const CLI_PATH = join(__dirname, '..', '..', 'bin', 'librsync.js');

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** Bytes to send through a pipe on stdin. */
  input?: Buffer;
  /** A file to redirect stdin from (a regular file, as `< file`). */
  stdinFile?: string;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Kill (SIGKILL) after this many ms: for runs that could hang. */
  timeoutMs?: number;
}

function runProgram(command: string, args: readonly string[], options: RunOptions): RunResult {
  const stdinFd = options.stdinFile === undefined ? undefined : openSync(join(options.cwd, options.stdinFile), 'r');
  try {
    const result = spawnSync(command, args, {
      cwd: options.cwd,
      input: options.input ?? (stdinFd === undefined ? Buffer.alloc(0) : undefined),
      stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 30,
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    if (result.error) throw result.error;
    return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr.toString() };
  } finally {
    if (stdinFd !== undefined) closeSync(stdinFd);
  }
}

export function runCli(args: readonly string[], options: RunOptions): RunResult {
  return runProgram(process.execPath, [CLI_PATH, ...args], options);
}

export function runRdiff(args: readonly string[], options: RunOptions): RunResult {
  return runProgram('rdiff', args, options);
}

/** Starts the CLI, reads its first stdout bytes, then closes the pipe (EPIPE). */
export function runCliClosingStdoutEarly(args: readonly string[], cwd: string): Promise<RunResult & { bytesRead: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytesRead = 0;
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout.once('data', (chunk: Buffer) => {
      bytesRead = chunk.length;
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      resolve({ status, signal, stdout: Buffer.alloc(0), stderr: Buffer.concat(stderr).toString(), bytesRead });
    });
  });
}

/** Starts the CLI, waits for its first stderr output (e.g. progress), then sends `signal`. */
export function runCliInterrupted(args: readonly string[], cwd: string, signal: NodeJS.Signals): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length === 0) child.kill(signal);
      stderr.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (status, exitSignal) => {
      resolve({ status, signal: exitSignal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() });
    });
  });
}
