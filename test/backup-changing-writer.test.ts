// Backups taken while another process keeps changing the files: replacing
// one by rename, rewriting one in place, appending to (and truncating) a
// log, rewriting a small file. Every restored file must be a version that
// existed (the writer logs each one before it becomes visible), unless
// the backup flagged it as unstable; and a path that always exists (the
// file replaced by rename) is in every backup, never recorded as deleted.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestEntry, backup, listFiles, restore } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { digestOf } from './support/tree-snapshot';

const FILES = ['replaced.bin', 'rewritten.bin', 'appended.log', 'small.txt'];
const BACKUPS = 16;

describeNative('backups while another process changes the files', () => {
  const scratch = scratchDir('librsync-changing-writer-');
  afterAll(() => scratch.remove());

  it(`restores, from each of ${BACKUPS} backups, only versions that existed or flagged files, and never drops a replaced file`, async () => {
    const src = scratch.path('src');
    const store = scratch.path('store');
    const logPath = scratch.path('versions.log');
    mkdirSync(src);
    // Starting versions, logged like the writer's.
    const first: Record<string, Buffer> = {
      'replaced.bin': randomBytesSeeded(16 << 20, 1),
      'rewritten.bin': randomBytesSeeded(3 << 20, 2),
      'appended.log': Buffer.alloc(0),
      'small.txt': Buffer.from('first\n'),
    };
    writeFileSync(logPath, Object.entries(first).map(([name, data]) => `${name} ${digestOf(data)}\n`).join(''));
    for (const [name, data] of Object.entries(first)) writeFileSync(join(src, name), data);

    const writer = spawn(process.execPath, [join(__dirname, 'support', 'changing-writer.js'), src, logPath, '7'], { stdio: ['pipe', 'inherit', 'inherit'] });
    const restored: { at: string; name: string; type?: string; sha?: string; recorded?: string; unstable: boolean }[] = [];
    try {
      for (let i = 0; i < BACKUPS; i++) {
        const result = await backup(src, store, { name: 'w', maxLevel: 3, blockSize: 4096 });
        const at = `${result.chain}/${result.id}`;
        // The newest backup at its level is the one just taken: restore it now, while the writer goes on.
        const entries = new Map<string, ManifestEntry>();
        for await (const e of listFiles(store, { name: 'w', level: result.level })) entries.set(e.path, e);
        const target = scratch.path(`restore-${i}`);
        const r = await restore(store, target, { name: 'w', level: result.level });
        expect(`${r.chain}/${r.id}`).toBe(at);
        for (const name of FILES) {
          const entry = entries.get(name);
          restored.push({ at, name, type: entry?.type, sha: entry?.type === 'file' ? digestOf(join(target, name)) : undefined, recorded: entry?.sha256, unstable: entry?.unstable === true });
        }
      }
    } finally {
      writer.stdin.end();
      await once(writer, 'exit');
    }

    const versions = new Map<string, Set<string>>(FILES.map((f) => [f, new Set<string>()]));
    for (const line of readFileSync(logPath, 'utf8').trim().split('\n')) {
      const [name, sha] = line.split(' ');
      versions.get(name)!.add(sha);
    }
    for (const { at, name, type, sha, recorded, unstable } of restored) {
      // Always there, as a file (the writer never removes a path).
      expect({ at, name, type }).toEqual({ at, name, type: 'file' });
      expect({ at, name, sha }).toEqual({ at, name, sha: recorded });
      if (!unstable) expect({ at, name, existed: versions.get(name)!.has(sha!) }).toEqual({ at, name, existed: true });
    }
    const flagged = restored.filter((r) => r.unstable).map((r) => `${r.at} ${r.name}`);
    const written = [...versions.values()].reduce((n, set) => n + set.size, 0);
    process.stdout.write(`changing-writer: ${BACKUPS} backups, ${written} versions written, flagged: ${flagged.length ? flagged.join('; ') : 'none'}\n`);
    expect(written).toBeGreaterThan(BACKUPS * FILES.length); // the writer was busy throughout
  }, 600_000);
});
