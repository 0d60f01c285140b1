// Opens a named input ('-' or none: stdin) and learns its size when it is
// a regular file, which is what rdiff bases its default block length on.
import { createReadStream, fstatSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FILE_READ_CHUNK } from '../byte-source';
import { ioError } from './cli-error';
import { CliIO } from './cli-io';
import { tagStreamErrors } from './stream-roles';

export interface InputSource {
  stream: Readable;
  /** Bytes in a regular file; undefined for pipes, terminals and devices. */
  size?: number;
  /** The name for messages: the path, or 'stdin'. */
  label: string;
  isStdin: boolean;
}

export function isStdioName(name: string | undefined): boolean {
  return name === undefined || name === '-';
}

function openStdin(io: CliIO): InputSource {
  const info = fstatSync(io.stdinFd);
  // A redirected file is read in big chunks from where the shell left it.
  const stream = info.isFile()
    ? createReadStream('', { fd: io.stdinFd, autoClose: false, highWaterMark: FILE_READ_CHUNK })
    : io.stdin;
  tagStreamErrors(stream, { action: 'read', name: 'stdin' });
  return { stream, size: info.isFile() ? info.size : undefined, label: 'stdin', isStdin: true };
}

export async function openInput(name: string | undefined, io: CliIO): Promise<InputSource> {
  if (isStdioName(name)) return openStdin(io);
  const path = name!;
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw ioError(`cannot read '${path}': is a directory`, 'EISDIR');
    const stream = handle.createReadStream({ highWaterMark: FILE_READ_CHUNK });
    tagStreamErrors(stream, { action: 'read', name: path });
    return { stream, size: info.isFile() ? info.size : undefined, label: path, isStdin: false };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
