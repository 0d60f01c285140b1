// The store lock under contention: of several processes that find the same
// stale lock at once, exactly one takes it over (the others see BACKUP_LOCKED).
import { writeFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { takeLockFile } from '../lib/backup/lock-file';
import { scratchDir } from './support/files';

describe('store lock', () => {
  const scratch = scratchDir('librsync-backup-lock-');
  afterAll(() => scratch.remove());

  it('lets exactly one of three takers replace a stale lock', async () => {
    const holders: number[] = [];
    for (let round = 0; round < 40; round++) {
      const path = scratch.path(`lock-${round}`);
      writeFileSync(path, JSON.stringify({ pid: 999_999_999, host: hostname(), since: 'then' })); // no such process
      const results = await Promise.allSettled([takeLockFile(path), takeLockFile(path), takeLockFile(path)]);
      holders.push(results.filter((r) => r.status === 'fulfilled').length);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'BACKUP_LOCKED' });
        else await r.value.release();
      }
    }
    expect(holders.filter((n) => n !== 1)).toEqual([]);
    expect(readdirSync(scratch.dir)).toEqual([]);
  });
});
