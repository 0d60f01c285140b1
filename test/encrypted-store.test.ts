// The encrypted store layer over a local directory store: exact round trips
// at every segment boundary, range reads of every kind of offset, and every
// kind of tampering with the stored bytes (the header, each segment, a tag,
// truncation, extension, reordering, splicing, renaming): each is
// BACKUP_CORRUPT naming the object, and no plaintext byte comes out of a
// segment that failed.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalDirectoryStore } from '../lib/backup';
import { base32Decode, base32Encode } from '../lib/backup/encrypted-store/base32';
import { EncryptedStore } from '../lib/backup/encrypted-store/encrypted-store';
import { ScryptParams, parseKeyObject } from '../lib/backup/encrypted-store/key-object';
import { KEYS_PREFIX } from '../lib/backup/encrypted-store/key-ring';
import { ENCRYPTED_NAME_LENGTH, NameCipher } from '../lib/backup/encrypted-store/name-cipher';
import { HEADER_BYTES, SEGMENT_BYTES, TAG_BYTES, sealedSize } from '../lib/backup/encrypted-store/object-cipher';
import { deriveSubkeys } from '../lib/backup/encrypted-store/subkeys';
import { endAndFinish } from '../lib/backup/stream-waits';
import { randomBytesSeeded, scratchDir } from './support/files';

/** Cheap scrypt for tests (the default costs 128 MiB and about half a second per open). */
const FAST_KDF: ScryptParams = { N: 1 << 10, r: 8, p: 1 };
const S = SEGMENT_BYTES;
const SEALED = S + TAG_BYTES;
const scratch = scratchDir('librsync-encrypted-store-');
afterAll(() => scratch.remove());

let count = 0;
async function freshStore(password = 'correct horse'): Promise<{ store: EncryptedStore; root: string }> {
  const root = scratch.path(`store-${count++}`);
  const store = new EncryptedStore(new LocalDirectoryStore(root), { password, encrypt: true, kdf: FAST_KDF });
  await store.open({ create: true });
  return { store, root };
}

async function put(store: EncryptedStore, key: string, bytes: Buffer, chunk = 10_000): Promise<void> {
  const writer = store.writeObject(key);
  try {
    for (let at = 0; at < bytes.length; at += chunk) if (!writer.write(bytes.subarray(at, at + chunk))) await new Promise((r) => writer.once('drain', r));
    await endAndFinish(writer);
  } finally {
    await writer.settled();
  }
}

/** Everything a read gives before it fails, and how it failed. */
async function get(store: EncryptedStore, key: string, range?: { start: number; end?: number }): Promise<{ bytes: Buffer; error?: { code?: string; message: string } }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of store.readObject(key, range) as Readable) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { bytes: Buffer.concat(chunks), error: { code: e.code, message: e.message } };
  }
}

/** The file holding an object, found as the only file below the store's one encrypted name directory with that path. */
function storedPath(root: string, key: string): string {
  const [, ...rest] = key.split('/');
  const names = readdirSync(join(root, 'backups')).filter((n) => n !== KEYS_PREFIX);
  expect(names).toHaveLength(1);
  return join(root, 'backups', names[0], ...rest);
}

const SIZES = [0, 1, S - 1, S, S + 1, 2 * S - 1, 2 * S, 2 * S + 1, 3 * S + 12_345];

describe('encrypted store: round trips', () => {
  let store: EncryptedStore;
  let root: string;
  beforeAll(async () => {
    ({ store, root } = await freshStore());
  });

  it.each(SIZES)('an object of %i bytes reads back exactly, is stored at its sealed size and reports its plaintext size', async (size) => {
    const key = `data/chain-000001/000000-L0/d${size}.pack`;
    const bytes = randomBytesSeeded(size, size + 1);
    await put(store, key, bytes, 7_777);
    expect((await get(store, key)).bytes.equals(bytes)).toBe(true);
    expect(await store.objectSize(key)).toBe(size);
    expect(statSync(storedPath(root, key)).size).toBe(sealedSize(size));
    expect(sealedSize(size)).toBe(HEADER_BYTES + size + Math.max(1, Math.ceil(size / S)) * TAG_BYTES);
  });

  it('range reads of every offset class give exactly those bytes: within a segment, at and across boundaries, to the end, empty', async () => {
    const size = 3 * S + 12_345;
    const key = `data/chain-000001/000000-L0/d${size}.pack`;
    const bytes = randomBytesSeeded(size, size + 1);
    const ranges: [number, number | undefined][] = [
      [0, 1],
      [0, S],
      [0, S + 1],
      [1, S - 1],
      [S - 1, S + 1],
      [S, 2 * S],
      [S + 5, 3 * S + 7],
      [2 * S - 1, 2 * S],
      [3 * S, size],
      [size - 1, size],
      [size - 100, undefined],
      [0, undefined],
      [777, 777],
      [size, size],
    ];
    for (const [start, end] of ranges) {
      const read = await get(store, key, { start, end });
      expect({ start, end, error: read.error, same: read.bytes.equals(bytes.subarray(start, end)) }).toEqual({ start, end, error: undefined, same: true });
    }
    expect((await get(store, key, { start: 10, end: size + 1 })).error).toMatchObject({ code: 'BACKUP_CORRUPT' });
  });

  it('a missing object is BACKUP_OBJECT_MISSING naming its key as the engine knows it', async () => {
    for (const range of [undefined, { start: 5, end: 10 }]) {
      const read = await get(store, 'data/chain-000001/000000-L0/nothing.pack', range);
      expect(read.error).toMatchObject({ code: 'BACKUP_OBJECT_MISSING', message: expect.stringContaining('data/chain-000001/000000-L0/nothing.pack') });
    }
    expect(await store.objectSize('data/none')).toBeUndefined();
  });

  it('lists backup names decrypted; the stored name is 250 base32 characters whatever the name, and reveals none of it', async () => {
    const long = 'n'.repeat(128);
    await put(store, `${long}/chain-000001/x`, Buffer.from('x'));
    expect(await store.list('')).toEqual(['data', long]);
    expect(await store.list('data')).toEqual(['chain-000001']);
    const stored = readdirSync(join(root, 'backups')).filter((n) => n !== KEYS_PREFIX);
    expect(stored.map((n) => n.length)).toEqual([ENCRYPTED_NAME_LENGTH, ENCRYPTED_NAME_LENGTH]);
    expect(ENCRYPTED_NAME_LENGTH).toBe(250);
    for (const n of stored) expect(n).toMatch(/^[a-z2-7]+$/);
    // Something that is not one of ours at the top is left out, never passed on as a name.
    mkdirSync(join(root, 'backups', 'planted'));
    mkdirSync(join(root, 'backups', stored[0].replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))));
    expect(await store.list('')).toEqual(['data', long]);
  });

  it('base32 round trips and refuses what it does not write', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytesSeeded(n, n + 3);
      expect(base32Decode(base32Encode(bytes))!.equals(bytes)).toBe(true);
    }
    expect(base32Encode(Buffer.from('foobar'))).toBe('mzxw6ytboi');
    expect(base32Decode('mzxw6ytbo!')).toBeUndefined();
    expect(base32Decode('mzxw6ytboj')).toBeUndefined(); // non-zero padding bits
  });

  it('names encrypt deterministically per master key and differently under another', () => {
    const a = new NameCipher(deriveSubkeys(Buffer.alloc(32, 1)));
    const b = new NameCipher(deriveSubkeys(Buffer.alloc(32, 2)));
    expect(a.encrypt('home')).toBe(a.encrypt('home'));
    expect(a.encrypt('home')).not.toBe(b.encrypt('home'));
    expect(a.decrypt(a.encrypt('home'))).toBe('home');
    expect(b.decrypt(a.encrypt('home'))).toBeUndefined();
  });
});

describe('encrypted store: tampering is BACKUP_CORRUPT naming the object, and no byte of a failed segment comes out', () => {
  const KEY = 'victim/chain-000001/000000-L0/d000001.pack';
  const OTHER = 'victim/chain-000001/000000-L0/d000002.pack';
  const size = 3 * S + 1000;
  const bytes = randomBytesSeeded(size, 42);
  let store: EncryptedStore;
  let root: string;
  let path: string;
  let original: Buffer;

  beforeAll(async () => {
    ({ store, root } = await freshStore());
    await put(store, KEY, bytes);
    await put(store, OTHER, randomBytesSeeded(size, 43));
    path = storedPath(root, KEY);
    original = readFileSync(path);
  });
  afterEach(() => writeFileSync(path, original));

  /** A whole read and a read of each segment's range: every one fails, and yields only bytes of segments before the damage. */
  async function expectCorrupt(what: string, intactSegments: number): Promise<void> {
    const whole = await get(store, KEY);
    expect({ what, code: whole.error?.code }).toEqual({ what, code: 'BACKUP_CORRUPT' });
    expect(whole.error!.message).toContain(KEY);
    expect(whole.bytes.length).toBeLessThanOrEqual(intactSegments * S);
    expect(whole.bytes.equals(bytes.subarray(0, whole.bytes.length))).toBe(true);
  }

  function flip(offset: number): void {
    const damaged = Buffer.from(original);
    damaged[offset] ^= 0x10;
    writeFileSync(path, damaged);
  }

  it.each([
    ['the magic', 0],
    ['the version', 4],
    ['the salt', HEADER_BYTES - 1],
  ])('a flipped bit in the header (%s)', async (what, offset) => {
    flip(offset);
    await expectCorrupt(what, 0);
    expect((await get(store, KEY, { start: 2 * S, end: 2 * S + 10 })).error).toMatchObject({ code: 'BACKUP_CORRUPT' });
    expect((await get(store, KEY, { start: 2 * S, end: 2 * S + 10 })).bytes.length).toBe(0);
  });

  it.each([0, 1, 2, 3])('a flipped bit in segment %i, and in its tag', async (segment) => {
    for (const offset of [HEADER_BYTES + segment * SEALED + 100, HEADER_BYTES + segment * SEALED + (segment === 3 ? 1000 : S) + 3]) {
      flip(offset);
      await expectCorrupt(`segment ${segment} at ${offset}`, segment);
      // A range inside the damaged segment yields nothing; one inside an intact segment is read exactly.
      const inside = await get(store, KEY, { start: segment * S + 10, end: segment * S + 20 });
      expect({ offset, code: inside.error?.code, bytes: inside.bytes.length }).toEqual({ offset, code: 'BACKUP_CORRUPT', bytes: 0 });
      const intact = (segment + 1) % 4;
      const ok = await get(store, KEY, { start: intact * S + 10, end: intact * S + 20 });
      expect(ok.bytes.equals(bytes.subarray(intact * S + 10, intact * S + 20))).toBe(true);
      writeFileSync(path, original);
    }
  });

  it('truncation at a segment boundary (the last segment gone): the new last one is not sealed as last', async () => {
    truncateSync(path, HEADER_BYTES + 3 * SEALED);
    expect(await store.objectSize(KEY)).toBe(3 * S);
    await expectCorrupt('cut at a boundary', 2);
    expect((await get(store, KEY, { start: 3 * S - 10, end: 3 * S })).error).toMatchObject({ code: 'BACKUP_CORRUPT' });
  });

  it('truncation inside a segment, and inside the header', async () => {
    for (const [at, intact] of [
      [HEADER_BYTES + 2 * SEALED + 500, 2],
      [HEADER_BYTES + 3 * SEALED + 10, 3],
      [HEADER_BYTES + 5, 0],
      [0, 0],
    ]) {
      truncateSync(path, at);
      await expectCorrupt(`cut at ${at}`, intact);
      writeFileSync(path, original);
    }
  });

  it('an appended segment (a copy of the last, and a copy of a full one)', async () => {
    writeFileSync(path, Buffer.concat([original, original.subarray(HEADER_BYTES + 3 * SEALED)]));
    await expectCorrupt('last appended', 3);
    writeFileSync(path, Buffer.concat([original.subarray(0, HEADER_BYTES + 3 * SEALED), original.subarray(HEADER_BYTES, HEADER_BYTES + SEALED), original.subarray(HEADER_BYTES + 3 * SEALED)]));
    await expectCorrupt('full segment inserted', 3);
  });

  it('two segments swapped', async () => {
    const seg = (i: number): Buffer => original.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    writeFileSync(path, Buffer.concat([original.subarray(0, HEADER_BYTES), seg(1), seg(0), original.subarray(HEADER_BYTES + 2 * SEALED)]));
    await expectCorrupt('0 and 1 swapped', 0);
    expect((await get(store, KEY, { start: 2 * S, end: 3 * S })).bytes.equals(bytes.subarray(2 * S, 3 * S))).toBe(true);
  });

  it('a segment spliced from another object (at the same index), and its header', async () => {
    const other = readFileSync(storedPath(root, OTHER));
    const spliced = Buffer.from(original);
    other.copy(spliced, HEADER_BYTES + SEALED, HEADER_BYTES + SEALED, HEADER_BYTES + 2 * SEALED);
    writeFileSync(path, spliced);
    await expectCorrupt('segment 1 from another object', 1);
    writeFileSync(path, Buffer.concat([other.subarray(0, HEADER_BYTES), original.subarray(HEADER_BYTES)]));
    await expectCorrupt("another object's header", 0);
  });

  it('an object copied to another key (same store, same directory) is not taken for the object there', async () => {
    const copy = 'victim/chain-000001/000000-L0/d000003.pack';
    await put(store, copy, Buffer.from('the real d000003'));
    copyFileSync(path, storedPath(root, copy));
    const read = await get(store, copy);
    expect(read).toEqual({ bytes: Buffer.alloc(0), error: { code: 'BACKUP_CORRUPT', message: expect.stringContaining(copy) } });
    copyFileSync(storedPath(root, OTHER), path);
    await expectCorrupt('another object in its place', 0);
  });

  it('a plaintext object planted in the store is refused, not passed on', async () => {
    writeFileSync(path, bytes);
    await expectCorrupt('plaintext', 0);
    expect((await get(store, KEY)).error!.message).toMatch(/not encrypted|fails authentication|size/);
  });

  it('the intact object reads back exactly once restored', async () => {
    expect((await get(store, KEY)).bytes.equals(bytes)).toBe(true);
  });
});

describe('encrypted store: keys', () => {
  it('a wrong passphrase is STORE_KEY_WRONG at open, and the key object holds no plaintext master key', async () => {
    const { root } = await freshStore('right one');
    await expect(new EncryptedStore(new LocalDirectoryStore(root), { password: 'wrong one' }).open({ create: false })).rejects.toMatchObject({ code: 'STORE_KEY_WRONG' });
    const [id] = readdirSync(join(root, 'backups', KEYS_PREFIX));
    const key = parseKeyObject(readFileSync(join(root, 'backups', KEYS_PREFIX, id), 'utf8'), id);
    expect(key.kdf).toMatchObject({ name: 'scrypt', N: FAST_KDF.N, r: 8, p: 1 });
    const opened = new EncryptedStore(new LocalDirectoryStore(root), { password: 'right one' });
    await opened.open({ create: false });
    expect(readFileSync(join(root, 'backups', KEYS_PREFIX, id), 'utf8')).not.toContain(opened.masterKey.toString('base64'));
  });

  it.each([
    ['an absurd N', { N: 2 ** 40 }],
    ['N not a power of two', { N: 3000 }],
    ['too much memory', { N: 1 << 20, r: 64 }],
    ['a huge p', { p: 1e9 }],
  ])('a key object with %s is BACKUP_STORE_INVALID before any KDF runs', async (_what, kdf) => {
    const { root } = await freshStore('pw');
    const [id] = readdirSync(join(root, 'backups', KEYS_PREFIX));
    const file = join(root, 'backups', KEYS_PREFIX, id);
    const key = JSON.parse(readFileSync(file, 'utf8'));
    Object.assign(key.kdf, kdf);
    writeFileSync(file, JSON.stringify(key));
    const started = Date.now();
    await expect(new EncryptedStore(new LocalDirectoryStore(root), { password: 'pw' }).open({ create: false })).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a huge or malformed key object is BACKUP_STORE_INVALID', async () => {
    const { root } = await freshStore('pw');
    const [id] = readdirSync(join(root, 'backups', KEYS_PREFIX));
    const file = join(root, 'backups', KEYS_PREFIX, id);
    for (const text of ['x'.repeat(1 << 20), '{', '{"format":"librsync-backup-key","version":1}', '[]', 'null']) {
      writeFileSync(file, text);
      await expect(new EncryptedStore(new LocalDirectoryStore(root), { password: 'pw' }).open({ create: false })).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID' });
    }
  });
});
