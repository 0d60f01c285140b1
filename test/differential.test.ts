// Differential tests: on generated inputs (random data with zero runs and
// repeats, random edit scripts, random block and sum lengths, random
// chunking) the native and js backends write identical bytes, and agree
// on which corrupted signatures and deltas they accept and on the error
// code of those they refuse. The reference is the native backend, so the
// librsync the addon links (its version is in the suite names).
import { LibrsyncError, delta, loadSignature, patch, signature } from '../lib';
import { Backend } from '../lib/backend';
import { randomBytesSeeded } from './support/files';
import { describeNative } from './support/requirements';
import { ALL_MAGICS, prng, runChunks, seededChunks } from './support/rsync';
import { linkedLibrsync } from './support/librsync-reference';

const CASES = 60;
const MUTATIONS_PER_CASE = 6;
const MAX_OUTPUT = 4 << 20; // keeps mutated deltas that copy a lot cheap

type Outcome = { ok: true; bytes: Buffer } | { ok: false; code: string };

async function outcome(work: () => Promise<Buffer>): Promise<Outcome> {
  try {
    return { ok: true, bytes: await work() };
  } catch (err) {
    if (!(err instanceof LibrsyncError)) throw err;
    return { ok: false, code: err.code };
  }
}

function expectSameOutcome(a: Outcome, b: Outcome, what: string): void {
  const summary = (o: Outcome): string => (o.ok ? `ok (${o.bytes.length} bytes)` : o.code);
  if (summary(a) !== summary(b)) throw new Error(`${what}: native ${summary(a)} but js ${summary(b)}`);
  if (a.ok && b.ok && !a.bytes.equals(b.bytes)) throw new Error(`${what}: both succeed but the bytes differ`);
}

/** A basis with structure: random runs, zero runs, and repeats of earlier parts. */
function makeBasis(rand: (n: number) => number, seed: number): Buffer {
  const size = [0, 1 + rand(100), rand(5_000), rand(60_000), rand(150_000)][rand(5)];
  const parts: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const n = Math.min(size - length, 1 + rand(20_000));
    const kind = rand(4);
    const part =
      kind === 0 ? Buffer.alloc(n) : kind === 1 && length > 0 ? Buffer.concat(parts).subarray(rand(length)).subarray(0, n) : randomBytesSeeded(n, seed * 1000 + parts.length);
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts);
}

/** A new version: 0 to 5 inserts, deletes, overwrites, duplications, truncations or appends. */
function edit(basis: Buffer, rand: (n: number) => number, seed: number): Buffer {
  let data = Buffer.from(basis);
  for (let i = rand(6); i > 0; i--) {
    const at = rand(data.length + 1);
    const n = 1 + rand(3000);
    const bytes = randomBytesSeeded(n, seed * 7 + i);
    switch (rand(6)) {
      case 0: data = Buffer.concat([data.subarray(0, at), bytes, data.subarray(at)]); break;
      case 1: data = Buffer.concat([data.subarray(0, at), data.subarray(at + n)]); break;
      case 2: data = Buffer.concat([data.subarray(0, at), bytes, data.subarray(at + n)]); break;
      case 3: data = Buffer.concat([data.subarray(0, at), data.subarray(rand(data.length + 1)).subarray(0, n), data.subarray(at)]); break;
      case 4: data = data.subarray(0, at); break;
      default: data = Buffer.concat([data, bytes]);
    }
  }
  return data;
}

/** Flips, replaces, truncates, inserts or duplicates bytes. */
function mutate(bytes: Buffer, rand: (n: number) => number): Buffer {
  const out = Buffer.from(bytes);
  const at = rand(out.length + 1);
  switch (rand(5)) {
    case 0:
      if (out.length) out[Math.min(at, out.length - 1)] ^= 1 << rand(8);
      return out;
    case 1:
      if (out.length) out[Math.min(at, out.length - 1)] = rand(256);
      return out;
    case 2:
      return out.subarray(0, at);
    case 3:
      return Buffer.concat([out.subarray(0, at), Buffer.from([rand(256), rand(256)]), out.subarray(at)]);
    default:
      return Buffer.concat([out.subarray(0, at), out.subarray(at, at + 1 + rand(8)), out.subarray(at)]);
  }
}

const chunked = (data: Buffer, seed: number): Buffer[] => (data.length ? seededChunks(data, seed, 1 + (seed % 7) * 9000) : []);

/** Command counts of the last delta made by each backend (compared alongside the bytes). */
const lastDeltaCounts: Partial<Record<Backend, number[]>> = {};

async function deltaWith(backend: Backend, sig: Buffer, data: Buffer, seed: number): Promise<Buffer> {
  const set = await loadSignature(sig, { backend });
  try {
    const stream = delta(set);
    const bytes = await runChunks(stream, chunked(data, seed));
    const s = stream.stats!;
    lastDeltaCounts[backend] = [s.literalCommands, s.literalBytes, s.literalCommandBytes, s.copyCommands, s.copyBytes, s.copyCommandBytes];
    return bytes;
  } finally {
    set.close();
  }
}

function patchWith(backend: Backend, basis: Buffer, deltaBytes: Buffer, seed: number): Promise<Buffer> {
  return runChunks(patch(basis, { backend, maxOutput: MAX_OUTPUT }), chunked(deltaBytes, seed));
}

describeNative(`differential: the native and js backends agree (the addon links ${linkedLibrsync})`, () => {
  it.each(Array.from({ length: CASES }, (_, i) => i + 1))('generated case %i', async (seed) => {
    const rand = prng(seed * 2654435761);
    const basis = makeBasis(rand, seed);
    const newData = edit(basis, rand, seed);
    const { hash, rollsum } = ALL_MAGICS[rand(4)];
    const smallBlocks = basis.length <= 5_000;
    const blockLength = [0, 1 + rand(smallBlocks ? 16 : 64), 1 + rand(700), 1 + rand(5000), 2048][rand(5)];
    const max = hash === 'md4' ? 16 : 32;
    const strongLength = [0, -1, 1 + rand(max)][rand(3)];
    const options = { hash, rollsum, blockLength, strongLength, size: basis.length };
    const what = `seed ${seed}: ${basis.length} -> ${newData.length} bytes, ${hash}/${rollsum}, block ${blockLength}, strong ${strongLength}`;

    const nativeSig = await runChunks(signature({ ...options, backend: 'native' }), chunked(basis, seed));
    const jsSig = await runChunks(signature({ ...options, backend: 'js' }), chunked(basis, seed + 1));
    expectSameOutcome({ ok: true, bytes: nativeSig }, { ok: true, bytes: jsSig }, `${what}: signature`);

    const nativeDelta = await deltaWith('native', nativeSig, newData, seed);
    const jsDelta = await deltaWith('js', nativeSig, newData, seed + 2);
    const slack = nativeSig.length === 12; // empty basis: literal layout follows the chunking
    if (!slack) {
      expectSameOutcome({ ok: true, bytes: nativeDelta }, { ok: true, bytes: jsDelta }, `${what}: delta`);
      expect(lastDeltaCounts.js).toEqual(lastDeltaCounts.native);
    }
    for (const d of [nativeDelta, jsDelta]) {
      expect((await patchWith('native', basis, d, seed)).equals(newData)).toBe(true);
      expect((await patchWith('js', basis, d, seed + 3)).equals(newData)).toBe(true);
    }

    for (let m = 0; m < MUTATIONS_PER_CASE; m++) {
      const badSig = mutate(nativeSig, rand);
      const loaded = await Promise.all(
        (['native', 'js'] as const).map((backend) => outcome(() => deltaWith(backend, badSig, newData, seed + m))),
      );
      // A signature with no blocks gives a slack delta: both must accept it, bytes aside.
      const noBlocks = loaded[0].ok && loaded[1].ok && badSig.length < 16;
      if (!noBlocks) expectSameOutcome(loaded[0], loaded[1], `${what}: mutated signature #${m}`);

      const badDelta = mutate(nativeDelta, rand);
      const patched = await Promise.all(
        (['native', 'js'] as const).map((backend) => outcome(() => patchWith(backend, basis, badDelta, seed + m))),
      );
      expectSameOutcome(patched[0], patched[1], `${what}: mutated delta #${m}`);
    }
  });
});

describeNative(`differential: big blocks, where the end-of-input scan spans many steps (the addon links ${linkedLibrsync})`, () => {
  it.each([
    ['unrelated tail', (basis: Buffer) => Buffer.concat([basis.subarray(0, 2 << 20), randomBytesSeeded(1_500_000, 8)])],
    ['tail ending in the basis\'s short last block', (basis: Buffer) => Buffer.concat([randomBytesSeeded(700_000, 9), basis.subarray(basis.length - 300_000)])],
  ])('%s', async (_name, make) => {
    const basis = randomBytesSeeded((4 << 20) + 300_000, 7);
    const newData = make(basis);
    const sig = await runChunks(signature({ blockLength: 1 << 20, backend: 'native' }), chunked(basis, 3));
    const nativeDelta = await deltaWith('native', sig, newData, 4);
    const jsDelta = await deltaWith('js', sig, newData, 5);
    expect(jsDelta.equals(nativeDelta)).toBe(true);
    expect(lastDeltaCounts.js).toEqual(lastDeltaCounts.native);
    expect((await patchWith('js', basis, jsDelta, 6)).equals(newData)).toBe(true);
  });
});
