// A small real file system for full-disk tests: ext4 on a loop device or a
// tmpfs, mounted at a directory the test owns (root only). fill() leaves a
// chosen number of bytes free with a preallocated filler file; unfill()
// frees them again. Nothing is simulated: ENOSPC comes from the kernel.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export type DiskKind = 'ext4' | 'tmpfs';

export class SmallDisk {
  readonly mountPoint: string;
  private readonly image: string;
  private readonly filler: string;

  constructor(
    private readonly dir: string,
    readonly kind: DiskKind,
    private readonly bytes: number,
  ) {
    this.mountPoint = join(dir, `${kind}-mnt`);
    this.image = join(dir, `${kind}.img`);
    this.filler = join(this.mountPoint, 'filler');
  }

  mount(): void {
    mkdirSync(this.mountPoint, { recursive: true });
    if (this.kind === 'tmpfs') {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${this.bytes},mode=0755`, 'tmpfs', this.mountPoint]);
    } else {
      execFileSync('truncate', ['-s', String(this.bytes), this.image]);
      // -m 0: no blocks reserved for root (the tests run as root and must see the disk full).
      execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', this.image], { stdio: 'ignore' });
      execFileSync('mount', ['-o', 'loop', this.image, this.mountPoint]);
    }
  }

  unmount(): void {
    try {
      execFileSync('umount', [this.mountPoint], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', this.mountPoint], { stdio: 'ignore' });
    }
    rmSync(this.image, { force: true });
  }

  path(name: string): string {
    return join(this.mountPoint, name);
  }

  /** Bytes an unprivileged writer could still use. */
  free(): number {
    const s = statfsSync(this.mountPoint);
    return s.bavail * s.bsize;
  }

  /**
   * Leaves about `bytes` free (to a block or so), replacing any earlier
   * filler. ext4 needs blocks for a big file's own extent tree, so a
   * preallocation of exactly what is free can fail: then a smaller one is
   * tried, and more files top it up.
   */
  fill(bytes: number): void {
    this.unfill();
    for (let part = 0; part < 64; part++) {
      let want = this.free() - bytes;
      if (want <= 0) break;
      for (;;) {
        try {
          execFileSync('fallocate', ['-l', String(want), `${this.filler}-${part}`], { stdio: 'ignore' });
          break;
        } catch {
          want = Math.max(0, this.free() - bytes - Math.max(4096, Math.floor(want / 64)));
          if (want < 4096) break;
        }
      }
      if (this.free() - bytes < 4096) break;
    }
    execFileSync('sync', ['-f', this.mountPoint]);
  }

  unfill(): void {
    for (const name of readdirSync(this.mountPoint)) if (name.startsWith('filler-')) unlinkSync(join(this.mountPoint, name));
  }
}
