// A restore's private working directory in TARGET (mode 0700). Every
// temporary thing it makes lives there: the intermediate versions of a
// file being rebuilt, and each file, symlink, FIFO or hard link while it
// is built, before one rename puts it in place, complete and with its
// metadata. A killed restore therefore leaves only this directory, which
// the next restore into TARGET removes. Where a destination is on another
// file system than the scratch directory (a mount point inside TARGET) the
// temporary goes beside it instead, its name first written to a journal
// here so that the next restore can remove it too.
import { randomBytes } from 'node:crypto';
import { appendFile, lstat, mkdtemp, readFile, readdir, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isWithin } from './path-order';

const SCRATCH_PREFIX = '.librsync-restore-';
const JOURNAL = 'outside.list';
/** Temporaries beside their destination: `.NAME.<12 hex>.tmp`. */
const BESIDE = /^\..+\.[0-9a-f]{12}\.tmp$/;

export function besideName(destination: string): string {
  return join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes what killed restores left in `root`: their scratch directories and the temporaries their journals name. */
async function removeOldScratch(root: string): Promise<void> {
  const names = await readdir(root);
  const ours = names.filter((n) => n.startsWith(SCRATCH_PREFIX) && /^[A-Za-z0-9]{6}$/.test(n.slice(SCRATCH_PREFIX.length)));
  for (const name of ours) {
    const dir = join(root, name);
    const journal = await readFile(join(dir, JOURNAL), 'utf8').catch(() => '');
    for (const line of journal.split('\n')) {
      const path = resolve(line);
      // Only what a restore could have made: a temporary's name, inside TARGET, and not a directory.
      if (!line || !BESIDE.test(basename(path)) || !isWithin(path, root) || path === root) continue;
      const info = await lstat(path).catch(() => undefined);
      if (info && !info.isDirectory()) await unlink(path).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export class RestoreScratch {
  private count = 0;

  private constructor(
    readonly dir: string,
    private readonly device: number,
  ) {}

  /** Clears what earlier killed restores left in `root` and makes this restore's directory. */
  static async create(root: string): Promise<RestoreScratch> {
    await removeOldScratch(root);
    const dir = await mkdtemp(join(root, SCRATCH_PREFIX));
    return new RestoreScratch(dir, (await lstat(dir)).dev);
  }

  /** A fresh temporary name for `destination`, whose directory is on device `directoryDevice`. */
  async tempFor(destination: string, directoryDevice: number): Promise<string> {
    return directoryDevice === this.device ? join(this.dir, `leaf-${++this.count}`) : this.besideTemp(destination);
  }

  /** A temporary beside `destination`, journaled first (for a rename out of the scratch directory that failed with EXDEV). */
  async besideTemp(destination: string): Promise<string> {
    const beside = besideName(destination);
    await appendFile(join(this.dir, JOURNAL), `${beside}\n`);
    return beside;
  }

  /** Whether `temp` is in the scratch directory (a rename from it may meet EXDEV at a bind mount). */
  holds(temp: string): boolean {
    return dirname(temp) === this.dir;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
