// --exclude-file FILE: --exclude patterns kept in a file, one a line, as
// restic and rsync read them: blank lines and lines starting with '#' are
// skipped, surrounding whitespace is not part of a pattern.
import { readFile } from 'node:fs/promises';
import { ioError } from './cli-error';

export async function readExcludeFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw ioError(`cannot read exclude file '${path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`, e.code);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
