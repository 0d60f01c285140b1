// Crash trials: real processes killed with SIGKILL at seeded random moments.
// - backup, at level 0 and at level N: afterwards every committed level
//   still verifies and restores bit-exact, and the next backup succeeds
//   and leaves no uncommitted level, temporary file or lock behind;
// - the first backup into a new store (killed while it creates the store):
//   the next backup works;
// - restore --overwrite over a good restore: every file in TARGET is the
//   old or the new version with its metadata, never partial, and the next
//   restore leaves TARGET exactly the new version, with nothing left over.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, list, restore, verify } from '../lib/backup';
import { CLI_PATH } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { prng } from './support/rsync';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';

const SEED = Number(process.env.LIBRSYNC_CRASH_SEED ?? 20261202);
/** Backups killed mid-way per level kind (level 0, level N): 32 in all. */
const KILLS = 16;
/**
 * The trials are bounded by their counts (40 at most per kind); this only
 * catches a hang. It must be generous: a test that times out goes on in the
 * background and would change the store under the next one.
 */
const TRIALS_TIMEOUT_MS = 900_000;

/** Runs the CLI and SIGKILLs it after `ms`; resolves with whether it finished first (exit status, time taken) or was killed. */
async function killAfter(args: string[], ms: number): Promise<{ killed: boolean; status: number | null; elapsed: number }> {
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [CLI_PATH, ...args], { stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [status, signal] = await exited;
  clearTimeout(timer);
  return { killed: signal === 'SIGKILL', status, elapsed: Date.now() - started };
}

/** Every path below `dir`, relative. */
function allPaths(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

describeNative('crash trials (SIGKILL)', () => {
  const scratch = scratchDir('librsync-crash-');
  afterAll(() => scratch.remove());
  const random = prng(SEED);
  const src = scratch.path('src');
  const store = scratch.path('store');
  /** What SOURCE looked like for each committed backup, by chain/id. */
  const states = new Map<string, TreeSnapshot>();
  let version = 0;

  /** A tree of 120 small files in 6 directories, three bigger files and assorted modes. */
  function makeSource(): void {
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(join(src, `d${d}`, `f${f}`), randomBytesSeeded(2000 + f * 300, d * 50 + f + 1));
    }
    for (const [i, size] of [[1, 1 << 20], [2, 2 << 20], [3, 4 << 20]]) writeFileSync(join(src, `big${i}.bin`), randomBytesSeeded(size, 1000 + i));
    chmodSync(join(src, 'd1', 'f1'), 0o600);
    chmodSync(join(src, 'd2', 'f2'), 0o755);
    chmodSync(join(src, 'd3'), 0o750);
  }

  /** Changes a few files (a new version of SOURCE for the next level). */
  function changeSource(): void {
    version++;
    for (let k = 0; k < 5; k++) {
      const d = Math.floor(random(6));
      const f = Math.floor(random(20));
      writeFileSync(join(src, `d${d}`, `f${f}`), randomBytesSeeded(1500 + Math.floor(random(5000)), 10_000 + version * 10 + k));
    }
    const big = randomBytesSeeded(2 << 20, 1002);
    randomBytesSeeded(64 << 10, 20_000 + version).copy(big, Math.floor(random(big.length - (64 << 10))));
    writeFileSync(join(src, 'big2.bin'), big);
    const bigger = randomBytesSeeded(4 << 20, 1003);
    randomBytesSeeded(256 << 10, 30_000 + version).copy(bigger, Math.floor(random(bigger.length - (256 << 10))));
    writeFileSync(join(src, 'big3.bin'), bigger);
    chmodSync(join(src, 'd1', 'f1'), version % 2 ? 0o640 : 0o600);
  }

  async function committed(): Promise<{ key: string; finished: string }[]> {
    const listed = await list(store, {});
    return listed.names.flatMap((n) => n.chains.flatMap((c) => c.backups.map((b) => ({ key: `${c.chain}/${b.id}`, finished: b.finished }))));
  }

  /** The store after a kill: every committed level verifies; the newest and one earlier level restore exactly. */
  async function checkStore(where: string): Promise<void> {
    const report = await verify(store, {});
    expect({ where, ok: report.ok, problems: report.problems }).toEqual({ where, ok: true, problems: [] });
    const backups = await committed();
    const picks = [backups[backups.length - 1], backups[Math.floor(random(backups.length))]];
    for (const pick of picks) {
      const target = scratch.path('check');
      rmSync(target, { recursive: true, force: true });
      const result = await restore(store, target, { at: pick.finished });
      expect(`${result.chain}/${result.id}`).toBe(pick.key);
      expect({ where, backup: pick.key, tree: snapshotTree(target) }).toEqual({ where, backup: pick.key, tree: states.get(pick.key) });
      rmSync(target, { recursive: true });
    }
  }

  /** A normal backup after the kill: it commits, and no leftovers of the killed one remain. */
  async function recover(where: string): Promise<void> {
    const result = await backup(src, store, { name: 'c' });
    states.set(`${result.chain}/${result.id}`, snapshotTree(src));
    const listed = await list(store, {});
    expect({ where, uncommitted: listed.names[0].chains.flatMap((c) => c.uncommitted) }).toEqual({ where, uncommitted: [] });
    expect({ where, leftovers: allPaths(store).filter((p) => p.endsWith('.tmp') || p === 'lock' || p.includes('takeover')) }).toEqual({ where, leftovers: [] });
  }

  beforeAll(async () => {
    makeSource();
    const first = await backup(src, store, { name: 'c' });
    states.set(`${first.chain}/${first.id}`, snapshotTree(src));
  });

  /** How long the CLI takes to start and stop doing nothing, here and now. */
  async function startupMs(): Promise<number> {
    const started = Date.now();
    await killAfter(['--version'], 60_000);
    return Date.now() - started;
  }

  /** How long an uninterrupted backup of this tree takes here, so kills land from start-up to commit. */
  async function backupMs(level: string): Promise<number> {
    const started = Date.now();
    const { status } = await killAfter(['backup', src, store, '--name', 'c', '--level', level], 120_000);
    expect(status).toBe(0);
    const backups = await committed();
    states.set(backups[backups.length - 1].key, snapshotTree(src));
    return Date.now() - started;
  }

  for (const level of ['0', 'N']) {
    it(`killed backups at level ${level}: earlier levels verify and restore exactly, the next backup cleans up`, async () => {
      changeSource();
      let span = await backupMs(level === '0' ? '0' : '1');
      const startup = await startupMs();
      const outcomes = { killed: 0, finished: 0 };
      // Until 16 backups were killed before they finished (timings vary on a busy machine), at most 40 trials.
      for (let trial = 0; outcomes.killed < KILLS && trial < 40; trial++) {
        changeSource();
        // From late in start-up to about the commit.
        const ms = Math.floor(startup * 0.8 + random(Math.max(1, span * 0.95 - startup * 0.8)));
        const args = ['backup', src, store, '--name', 'c', ...(level === '0' ? ['--level', '0'] : [])];
        const before = snapshotTree(src);
        const known = (await committed()).length;
        const { killed, status, elapsed } = await killAfter(args, ms);
        const where = `level ${level}, trial ${trial}, killed after ${ms} ms of ${span}`;
        if (killed) outcomes.killed++;
        else {
          outcomes.finished++;
          expect({ where, status }).toEqual({ where, status: 0 });
          // Backups run faster than the first one measured (a warm cache): aim at what they take now.
          span = Math.max(startup, Math.min(span, elapsed));
        }
        // Committed, then killed before it could exit: a level like any other.
        const backups = await committed();
        if (backups.length > known) states.set(backups[backups.length - 1].key, before);
        await checkStore(where);
        changeSource();
        await recover(where);
      }
      process.stdout.write(`crash trials, level ${level}: ${outcomes.killed} killed, ${outcomes.finished} finished first (span ${span} ms)\n`);
      expect(outcomes.killed).toBe(KILLS);
    }, TRIALS_TIMEOUT_MS);
  }

  it('a store killed while it is created is finished by the next backup', async () => {
    let halfMade = 0;
    for (let trial = 0; trial < 10; trial++) {
      const fresh = scratch.path(`fresh-${trial}`);
      const child = spawn(process.execPath, [CLI_PATH, 'backup', join(src, 'd0'), fresh, '--name', 'f'], { stdio: 'ignore' });
      const exited = once(child, 'exit');
      // Kill it as the store comes into being: once its directory exists, after 0 to 2 ms.
      while (!existsSync(fresh) && child.exitCode === null) await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, trial % 3));
      child.kill('SIGKILL');
      await exited;
      if (!existsSync(join(fresh, 'librsync-backup.json'))) halfMade++;
      const result = await backup(join(src, 'd0'), fresh, { name: 'f' });
      expect(result.counts.files).toBe(20);
      expect((await verify(fresh, {})).ok).toBe(true);
      rmSync(fresh, { recursive: true });
    }
    expect(halfMade).toBeGreaterThanOrEqual(3);
  }, TRIALS_TIMEOUT_MS);

  it('killed restores over a good restore leave each file old or new, and the next restore cleans up', async () => {
    const backups = await committed();
    const oldKey = backups[0].key;
    const newKey = backups[backups.length - 1].key;
    const oldState = states.get(oldKey)!;
    const newState = states.get(newKey)!;
    const target = scratch.path('target');
    const started = Date.now();
    expect((await killAfter(['restore', store, scratch.path('timing')], 120_000)).status).toBe(0);
    let span = Date.now() - started;
    const startup = await startupMs();
    let killed = 0;
    for (let trial = 0; killed < 8 && trial < 24; trial++) {
      rmSync(target, { recursive: true, force: true });
      await restore(store, target, { at: backups[0].finished });
      const ms = Math.floor(startup * 0.8 + random(Math.max(1, span * 0.95 - startup * 0.8)));
      const outcome = await killAfter(['restore', store, target, '--overwrite'], ms);
      if (outcome.killed) killed++;
      else span = Math.max(startup, Math.min(span, outcome.elapsed));
      const where = `restore trial ${trial}, killed after ${ms} ms`;
      const now = snapshotTree(target);
      for (const [path, state] of Object.entries(now)) {
        if (path.startsWith('.librsync-restore-')) continue; // the killed run's scratch directory
        if (state.type === 'dir') continue; // directories get their metadata last
        const old = oldState[path];
        const fresh = newState[path];
        const same = (a: typeof state | undefined): boolean => !!a && a.type === state.type && a.sha256 === state.sha256 && a.mode === state.mode && a.target === state.target;
        expect({ where, path, oldOrNew: same(old) || same(fresh) }).toEqual({ where, path, oldOrNew: true });
      }
      await restore(store, target, { overwrite: true });
      expect({ where, tree: snapshotTree(target) }).toEqual({ where, tree: newState });
      expect({ where, leftovers: allPaths(target).filter((p) => p.includes('.librsync-restore-') || p.endsWith('.tmp')) }).toEqual({ where, leftovers: [] });
    }
    expect(existsSync(target)).toBe(true);
    expect(killed).toBe(8);
  }, TRIALS_TIMEOUT_MS);
});
