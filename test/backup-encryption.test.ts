// Encrypted stores end to end, through the engine functions and the CLI:
// round trips; nothing of the source tree (names, paths, contents) in any
// stored byte; a wrong, missing or superfluous passphrase refused before
// any work; passphrases added, listed, removed and changed; tampered
// manifests and packs found, with no file restored from them.
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, existsSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { backup, initStore, list, listStoreKeys, restore, verify } from '../lib/backup';
import { spawn } from 'node:child_process';
import { CLI_PATH, runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative, isRoot } from './support/requirements';
import { TEST_KDF, TEST_PASSWORD } from './support/stores';
import { snapshotTree } from './support/tree-snapshot';

const SECRET_DIR = 'QuarterlyFiguresDir';
const SECRET_FILE = 'confidential-merger-plan.txt';
const SECRET_TEXT = 'PLAINTEXT-MARKER the merger closes on Friday';

/** Every file below `dir` (relative paths). */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

/** Every path below `dir` with its size and mtime: what a refused run must leave as it was. */
function storeState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(dir, p));
    out[p] = `${s.isDirectory() ? 'dir' : s.size} ${s.mtimeMs}`;
  }
  return out;
}

function json(stdout: Buffer): Record<string, any> {
  return JSON.parse(stdout.toString());
}

describeNative('encrypted stores', () => {
  const scratch = scratchDir('librsync-encryption-');
  const cwd = scratch.dir;
  const src = scratch.path('ProjectSourceTree');
  const env = { LIBRSYNC_PASSWORD: TEST_PASSWORD };
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { cwd, env: { LIBRSYNC_PASSWORD: '', ...extraEnv } });
  afterAll(() => scratch.remove());

  beforeAll(() => {
    mkdirSync(join(src, SECRET_DIR, 'nested'), { recursive: true });
    writeFileSync(join(src, SECRET_DIR, SECRET_FILE), `${SECRET_TEXT}\n`.repeat(50));
    writeFileSync(join(src, SECRET_DIR, 'nested', 'big.bin'), randomBytesSeeded(300_000, 7));
    writeFileSync(join(src, 'top.txt'), `${SECRET_TEXT} at the top\n`);
  });

  let made = 0;
  /** A new encrypted store (cheap scrypt, recorded in its key), made with the library. */
  async function encryptedStore(): Promise<string> {
    const root = scratch.path(`store-${made++}`);
    await initStore(root, { password: TEST_PASSWORD, encrypt: true, kdf: TEST_KDF });
    return root;
  }

  it('backup, list, restore and verify round trip; two levels, restored exactly', async () => {
    const store = await encryptedStore();
    const first = await backup(src, store, { password: TEST_PASSWORD });
    const level0 = snapshotTree(src);
    writeFileSync(join(src, 'top.txt'), `${SECRET_TEXT} changed\n`);
    const second = await backup(src, store, { password: TEST_PASSWORD });
    expect([first.id, second.id]).toEqual(['000000-L0', '000001-L1']);
    const listed = await list(store, { password: TEST_PASSWORD });
    expect(listed.names.map((n) => n.name)).toEqual([first.name]);
    for (const [level, tree] of [
      [0, level0],
      [1, snapshotTree(src)],
    ] as const) {
      const target = scratch.path(`round-${level}`);
      await restore(store, target, { level, password: TEST_PASSWORD });
      expect(snapshotTree(target)).toEqual(tree);
    }
    const report = await verify(store, { password: TEST_PASSWORD, against: src });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('no file name, path, backup name or content appears in any stored byte or stored name', async () => {
    const store = await encryptedStore();
    const result = await backup(src, store, { password: TEST_PASSWORD });
    const needles = [SECRET_DIR, SECRET_FILE, 'PLAINTEXT-MARKER', 'merger', 'ProjectSourceTree', result.name, 'big.bin', 'top.txt', 'nested', scratch.dir];
    const files = allFiles(store);
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) {
      const bytes = readFileSync(join(store, file));
      for (const needle of needles) {
        expect({ file, needle, inName: file.includes(needle), inBytes: bytes.includes(needle) }).toEqual({ file, needle, inName: false, inBytes: false });
        // Also as it might be written in a manifest: JSON-escaped, base64.
        expect({ file, needle, b64: bytes.includes(Buffer.from(needle).toString('base64').slice(0, 12)) }).toEqual({ file, needle, b64: false });
      }
    }
    // Contents too: no 32-byte run of the random file is stored as it is.
    const big = readFileSync(join(src, SECRET_DIR, 'nested', 'big.bin'));
    for (const file of files) for (let at = 0; at < big.length; at += 50_000) expect(readFileSync(join(store, file)).includes(big.subarray(at, at + 32))).toBe(false);
  });

  it('a wrong passphrase is STORE_KEY_WRONG before any work: nothing written, no target made', async () => {
    const store = await encryptedStore();
    await backup(src, store, { password: TEST_PASSWORD });
    const before = storeState(store);
    await expect(backup(src, store, { password: 'not the passphrase' })).rejects.toMatchObject({ code: 'STORE_KEY_WRONG' });
    await expect(restore(store, scratch.path('wrong-target'), { password: 'not the passphrase' })).rejects.toMatchObject({ code: 'STORE_KEY_WRONG' });
    expect(existsSync(scratch.path('wrong-target'))).toBe(false);
    expect(storeState(store)).toEqual(before);
    const run = cli(['backup', src, store, '--json'], { LIBRSYNC_PASSWORD: 'not the passphrase' });
    expect(run.status).toBe(100);
    expect(json(run.stdout).error).toMatchObject({ code: 'STORE_KEY_WRONG', exitCode: 100 });
    expect(run.stdout.toString() + run.stderr).not.toContain('not the passphrase');
    expect(storeState(store)).toEqual(before);
  });

  it('an encrypted store without a passphrase is STORE_PASSWORD_REQUIRED, saying how to give one (exit 100, no prompt without a terminal)', async () => {
    const store = await encryptedStore();
    await expect(list(store)).rejects.toMatchObject({ code: 'STORE_PASSWORD_REQUIRED', message: expect.stringContaining('LIBRSYNC_PASSWORD') });
    await expect(backup(src, store)).rejects.toMatchObject({ code: 'STORE_PASSWORD_REQUIRED' });
    expect(allFiles(store).filter((f) => !f.startsWith('backups/_keys/') && f !== 'librsync-backup.json')).toEqual([]);
    for (const args of [['list', store], ['backup', src, store], ['restore', store, 'nowhere'], ['verify', store], ['prune', store, '--keep-last', '1'], ['cat', store, 'top.txt'], ['diff', store, 'chain-000001/000000-L0', 'chain-000001/000001-L1'], ['key', 'list', store]]) {
      const run = cli(args);
      expect({ args, status: run.status, stderr: run.stderr }).toEqual({ args, status: 100, stderr: expect.stringMatching(/is an encrypted store: give its passphrase in LIBRSYNC_PASSWORD, with --password-file FILE/) });
    }
  });

  it('a passphrase for a plain store is STORE_NOT_ENCRYPTED (exit 104), from the environment alone too; --encrypt cannot turn a plain store holding backups', async () => {
    const plain = scratch.path('plain');
    await backup(src, plain);
    await expect(list(plain, { password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'STORE_NOT_ENCRYPTED' });
    const before = storeState(plain);
    const run = cli(['list', plain], env);
    expect(run.status).toBe(104);
    expect(run.stderr).toMatch(/is not an encrypted store, yet a passphrase was given/);
    const encrypting = cli(['backup', src, plain, '--encrypt'], env);
    expect(encrypting.status).toBe(104);
    expect(encrypting.stderr).toMatch(/is a plain store holding backups/);
    expect(storeState(plain)).toEqual(before);
    expect(cli(['list', plain]).status).toBe(0);
  });

  it('the first backup --encrypt makes a new store encrypted; init makes one, and refuses a store that exists', async () => {
    const made = scratch.path('made-by-backup');
    const first = cli(['backup', src, made, '--encrypt', '--json'], env);
    expect(first.status).toBe(0);
    expect(readdirSync(join(made, 'backups', '_keys'))).toHaveLength(1);
    const restored = cli(['restore', made, 'made-out'], env);
    expect(restored.status).toBe(0);
    expect(snapshotTree(scratch.path('made-out'))).toEqual(snapshotTree(src));
    // Without --encrypt a passphrase cannot make a new store.
    expect(cli(['backup', src, scratch.path('not-made')], env)).toMatchObject({ status: 100, stderr: expect.stringMatching(/with --encrypt/) });

    const inited = cli(['init', 'inited', '--encrypt', '--json'], env);
    expect(inited.status).toBe(0);
    expect(json(inited.stdout)).toMatchObject({ ok: true, command: 'init', encrypted: true, keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(cli(['init', 'inited', '--encrypt'], env)).toMatchObject({ status: 100, stderr: expect.stringMatching(/STORE_EXISTS|is a backup store already/) });
    expect(cli(['init', 'inited'])).toMatchObject({ status: 100 });
    expect(cli(['init', 'plain-init'], env)).toMatchObject({ status: 108, stderr: expect.stringMatching(/without --encrypt|ask for encryption/) });
    expect(cli(['init', 'plain-init']).status).toBe(0);
    expect(cli(['init', 'needs-pw', '--encrypt']).status).toBe(100);
    expect(existsSync(scratch.path('needs-pw'))).toBe(false);
  });

  it('--password-file: its first line (LF or CRLF stripped) wins over the environment; an unreadable or empty one is a usage error (101)', async () => {
    const store = await encryptedStore();
    await backup(src, store, { password: TEST_PASSWORD });
    writeFileSync(scratch.path('pw-lf'), `${TEST_PASSWORD}\nsecond line\n`);
    writeFileSync(scratch.path('pw-crlf'), `${TEST_PASSWORD}\r\n`);
    writeFileSync(scratch.path('pw-bare'), TEST_PASSWORD);
    writeFileSync(scratch.path('pw-empty'), '\nsomething\n');
    for (const file of ['pw-lf', 'pw-crlf', 'pw-bare']) expect({ file, status: cli(['list', store, '--password-file', file], { LIBRSYNC_PASSWORD: 'wrong' }).status }).toEqual({ file, status: 0 });
    expect(cli(['list', store, '--password-file', 'no-such-file'], env)).toMatchObject({ status: 101, stderr: expect.stringMatching(/--password-file: cannot read 'no-such-file'/) });
    expect(cli(['list', store, '--password-file', 'pw-empty'], env)).toMatchObject({ status: 101 });
    if (!isRoot) {
      chmodSync(scratch.path('pw-lf'), 0);
      expect(cli(['list', store, '--password-file', 'pw-lf']).status).toBe(101);
    }
  });

  it('key list, add, remove and passwd; the old passphrase stops working once changed, the others go on', async () => {
    const store = await encryptedStore();
    await backup(src, store, { password: TEST_PASSWORD });
    writeFileSync(scratch.path('second'), 'second passphrase\n');
    writeFileSync(scratch.path('third'), 'third passphrase\n');
    const [firstKey] = (await listStoreKeys(store, { password: TEST_PASSWORD })).map((k) => k.id);

    const added = cli(['key', 'add', store, '--new-password-file', 'second', '--json'], env);
    expect(added.status).toBe(0);
    const secondKey = json(added.stdout).added as string;
    const listed = cli(['key', 'list', store, '--json'], { LIBRSYNC_PASSWORD: 'second passphrase' });
    expect(json(listed.stdout).keys.map((k: { id: string; inUse: boolean }) => [k.id, k.inUse]).sort()).toEqual(
      [
        [firstKey, false],
        [secondKey, true],
      ].sort(),
    );
    expect(cli(['key', 'list', store], env).stdout.toString()).toMatch(new RegExp(`^\\* ${firstKey}  \\S+  \\S+@\\S+$`, 'm'));

    // Never the key in use, never an unknown one.
    expect(cli(['key', 'remove', store, firstKey], env)).toMatchObject({ status: 108, stderr: expect.stringMatching(/is the one in use/) });
    expect(cli(['key', 'remove', store, '0123456789abcdef'], env)).toMatchObject({ status: 100 });
    // passwd: the second passphrase replaced by the third.
    const changed = cli(['key', 'passwd', store, '--new-password-file', 'third', '--json'], { LIBRSYNC_PASSWORD: 'second passphrase' });
    expect(changed.status).toBe(0);
    expect(json(changed.stdout)).toMatchObject({ removed: secondKey });
    const thirdKey = json(changed.stdout).added as string;
    await expect(list(store, { password: 'second passphrase' })).rejects.toMatchObject({ code: 'STORE_KEY_WRONG' });
    for (const password of [TEST_PASSWORD, 'third passphrase']) expect((await list(store, { password })).names).toHaveLength(1);
    // Remove the first with the third; then the third is the last key: kept.
    expect(cli(['key', 'remove', store, firstKey], { LIBRSYNC_PASSWORD: 'third passphrase' }).status).toBe(0);
    await expect(list(store, { password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'STORE_KEY_WRONG' });
    expect(readdirSync(join(store, 'backups', '_keys'))).toEqual([thirdKey]);
    const target = scratch.path('after-keys');
    await restore(store, target, { password: 'third passphrase' });
    expect(snapshotTree(target)).toEqual(snapshotTree(src));
    // Key commands on a plain store, and without a new passphrase off a terminal.
    expect(cli(['key', 'list', scratch.path('plain')], env).status).toBe(104);
    expect(cli(['key', 'add', store], { LIBRSYNC_PASSWORD: 'third passphrase' })).toMatchObject({ status: 101, stderr: expect.stringMatching(/--new-password-file/) });
  });

  /**
   * The CLI on a pseudo-terminal (util-linux's script): each time it prompts,
   * the next answer is typed. Its exit status and everything the terminal showed.
   */
  function onTerminal(args: string[], answers: string[]): Promise<{ status: number | null; shown: string; prompts: number }> {
    const line = [process.execPath, CLI_PATH, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', line, '/dev/null'], { cwd, env: { ...process.env, LIBRSYNC_PASSWORD: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let shown = '';
    let prompts = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
      while ((shown.match(/(^|\n)(new )?passphrase[^:\n]*: /g) ?? []).length > prompts) child.stdin.write(`${answers[prompts++] ?? ''}\r`);
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, shown, prompts }));
    });
  }

  it('on a terminal: asked for the passphrase once the store turns out encrypted (not echoed); a new store asks twice and refuses two that differ', async () => {
    const store = await encryptedStore();
    await backup(src, store, { password: TEST_PASSWORD });
    const listed = await onTerminal(['list', store], [TEST_PASSWORD]);
    expect(listed).toMatchObject({ status: 0, prompts: 1 });
    expect(listed.shown).toMatch(/^passphrase: /);
    expect(listed.shown).toMatch(/chain-000001\/000000-L0 {2}level 0/);
    expect(listed.shown).not.toContain(TEST_PASSWORD);
    const wrong = await onTerminal(['list', store], ['not it']);
    expect(wrong).toMatchObject({ status: 100, prompts: 1 });
    expect(wrong.shown).toMatch(/wrong passphrase/);
    // A plain store asks nothing.
    await backup(src, scratch.path('plain-on-terminal'));
    expect(await onTerminal(['list', scratch.path('plain-on-terminal')], [])).toMatchObject({ status: 0, prompts: 0 });
    const differ = await onTerminal(['init', 'typed-differently', '--encrypt'], ['one passphrase', 'another']);
    expect(differ).toMatchObject({ status: 101, prompts: 2 });
    expect(differ.shown).toMatch(/the two passphrases typed differ/);
    expect(existsSync(scratch.path('typed-differently'))).toBe(false);
  });

  describe('tampering', () => {
    let store: string;
    let backupDir: string;
    beforeAll(async () => {
      store = await encryptedStore();
      await backup(src, store, { password: TEST_PASSWORD });
      const [name] = readdirSync(join(store, 'backups')).filter((n) => n !== '_keys');
      backupDir = join(store, 'backups', name, 'chain-000001', '000000-L0');
    });

    function withDamaged(file: string, damage: (bytes: Buffer) => Buffer, check: () => Promise<void>): () => Promise<void> {
      return async () => {
        const path = join(backupDir, file);
        const original = readFileSync(path);
        writeFileSync(path, damage(Buffer.from(original)));
        try {
          await check();
        } finally {
          writeFileSync(path, original);
        }
      };
    }

    const flipMiddle = (b: Buffer): Buffer => {
      b[b.length >> 1] ^= 1;
      return b;
    };

    it.each([
      ['manifest.jsonl', 'a flipped bit in the manifest', flipMiddle],
      ['manifest.jsonl', 'the manifest truncated', (b: Buffer) => b.subarray(0, b.length - 40)],
      ['d000001.pack', 'a flipped bit in the data pack', flipMiddle],
      ['d000001.pack', 'the data pack truncated by a segment', (b: Buffer) => b.subarray(0, b.length - 65_552)],
    ])('%s: %s is BACKUP_CORRUPT (exit 106) naming the object, and no file is restored from it', (file, _what, damage) =>
      withDamaged(file, damage, async () => {
        const target = scratch.path(`tampered-${file}-${Math.random().toString(36).slice(2)}`);
        const failure = restore(store, target, { password: TEST_PASSWORD });
        await expect(failure).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
        const error = await failure.catch((e: Error) => e);
        // The object is named with its backup (NAME/CHAIN/ID/OBJECT), its name as the user knows it.
        expect((error as Error).message).toMatch(new RegExp(`ProjectSourceTree-[0-9a-f]{8}/chain-000001/000000-L0/${file.replace('.', '\\.')}`));
        const restored = existsSync(target) ? allFiles(target) : [];
        if (file === 'manifest.jsonl') expect(restored).toEqual([]);
        else expect(restored.filter((f) => f.endsWith('big.bin'))).toEqual([]);
        const run = cli(['verify', store, '--json'], env);
        expect(run.status).toBe(106);
      })(),
    );

    it("a manifest from another store (another master key) is BACKUP_CORRUPT, not read", async () => {
      const other = await encryptedStore();
      await backup(src, other, { password: TEST_PASSWORD });
      const [otherName] = readdirSync(join(other, 'backups')).filter((n) => n !== '_keys');
      const path = join(backupDir, 'manifest.jsonl');
      const original = readFileSync(path);
      copyFileSync(join(other, 'backups', otherName, 'chain-000001', '000000-L0', 'manifest.jsonl'), path);
      try {
        const target = scratch.path('foreign-manifest');
        await expect(restore(store, target, { password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
        expect(existsSync(target) ? allFiles(target) : []).toEqual([]);
      } finally {
        writeFileSync(path, original);
      }
      expect((await verify(store, { password: TEST_PASSWORD })).problems).toEqual([]);
    });
  });
});
