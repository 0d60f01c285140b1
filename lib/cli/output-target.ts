// Opens a named output ('-' or none: stdout). Files are written through
// AtomicFileWriter, so a failure never leaves a partial file nor clobbers
// an existing one; without -f an existing file is refused, as rdiff does.
import { constants, createWriteStream } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { AtomicFileWriter } from '../atomic-file';
import { ioError } from './cli-error';
import { CliIO } from './cli-io';
import { isStdioName } from './input-source';
import { tagStreamErrors } from './stream-roles';

export interface OutputTarget {
  stream: Writable;
  label: string;
  isStdout: boolean;
}

const DIRECTORY_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
};

async function existing(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function openStdout(io: CliIO, force: boolean): OutputTarget {
  // Binary data would garble the terminal; like gzip, -f insists.
  if (io.stdout.isTTY && !force) {
    throw ioError('refusing to write binary data to a terminal: name an output file, redirect stdout, or use -f');
  }
  tagStreamErrors(io.stdout, { action: 'write', name: 'stdout' });
  return { stream: io.stdout, label: 'stdout', isStdout: true };
}

export async function openOutput(name: string | undefined, force: boolean, io: CliIO): Promise<OutputTarget> {
  if (isStdioName(name)) return openStdout(io, force);
  const path = name!;
  const info = await existing(path);
  let stream: Writable;
  if (info && !force) {
    throw ioError(`'${path}' already exists; use -f to overwrite it`, 'EEXIST');
  } else if (info?.isDirectory()) {
    throw ioError(`cannot write '${path}': is a directory`, 'EISDIR');
  } else if (info && !info.isFile()) {
    // A device or FIFO (-f /dev/null): renaming over it would replace it.
    stream = createWriteStream(path, { flags: 'w' });
  } else if (info) {
    // Through a symlink to its file, keeping the file's permissions.
    stream = new AtomicFileWriter(await realpath(path), { overwrite: true, mode: info.mode & 0o7777 });
  } else {
    // Clear errors for the usual problems, before a temporary file's name appears in them.
    await access(dirname(path), constants.W_OK).catch((err: NodeJS.ErrnoException) => {
      throw ioError(`cannot create '${path}': ${DIRECTORY_PROBLEMS[err.code ?? ''] ?? err.message}`, err.code);
    });
    stream = new AtomicFileWriter(path, { overwrite: false });
  }
  tagStreamErrors(stream, { action: 'write', name: path });
  return { stream, label: path, isStdout: false };
}
