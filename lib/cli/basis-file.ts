// The file a patch copies from ('-': stdin). librsync seeks in it, so it
// must be a regular file or a block device; rdiff fails such a basis with
// an I/O error (100), which we report before reading the delta.
import { fstatSync, Stats } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { BASIS_OPEN_FLAGS } from '../js/basis-source';
import { PatchBasis } from '../operations';
import { ioError } from './cli-error';
import { CliIO } from './cli-io';

export interface BasisFile {
  basis: PatchBasis;
  label: string;
  close(): Promise<void>;
}

function checkSeekable(info: Stats, label: string): void {
  if (info.isDirectory()) throw ioError(`cannot read '${label}': is a directory`, 'EISDIR');
  if (!info.isFile() && !info.isBlockDevice()) {
    throw ioError(`cannot use '${label}' as the basis: it must be a regular file (librsync seeks in it)`, 'ESPIPE');
  }
}

export async function openBasis(name: string, io: CliIO): Promise<BasisFile> {
  if (name === '-') {
    checkSeekable(fstatSync(io.stdinFd), 'stdin');
    return { basis: io.stdinFd, label: 'stdin', close: async () => undefined };
  }
  // As the library opens a basis: a FIFO is refused below, not waited on for a writer.
  const handle: FileHandle = await open(name, BASIS_OPEN_FLAGS);
  try {
    checkSeekable(await handle.stat(), name);
  } catch (err) {
    await handle.close();
    throw err;
  }
  // The patch job keeps its own duplicate of the descriptor once it starts.
  return { basis: handle, label: name, close: () => handle.close() };
}
