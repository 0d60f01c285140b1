'use strict';
// Every entry point of the native addon, many times, in one plain node
// process (not jest: under jest Node's own allocations are still live when
// the workers exit, and LeakSanitizer reports them). scripts/sanitize.sh
// runs this against the ASan + UBSan build with leak detection on: a job,
// a signature set, a descriptor or a buffer the addon fails to free shows
// up as a leak when the process exits, since Node finalizes every wrapped
// object as it tears an environment down.
//
// Also usable on the release build (it checks its own results):
//   node --expose-gc test/sanitize/exercise-native.js [rounds, default 8]
const assert = require('node:assert/strict');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const root = path.join(__dirname, '..', '..');
const lib = require(path.join(root, 'dist', 'index.js'));
const backupLib = require(path.join(root, 'dist', 'backup', 'index.js'));
const { nativeBinding } = require(path.join(root, 'dist', 'native-binding.js'));
const { setFileTimes } = require(path.join(root, 'dist', 'file-times.js'));
const xattrLib = require(path.join(root, 'dist', 'xattrs.js'));
const extentsLib = require(path.join(root, 'dist', 'data-extents.js'));

const ROUNDS = Math.max(2, Number(process.argv[2] ?? 8));
const gc = typeof global.gc === 'function' ? global.gc : () => {};

// Deterministic pseudo-random bytes (xorshift), so a failure can be rerun.
function bytes(size, seed) {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// basis with a few edits: some blocks match, some are literal.
function edited(basis, seed) {
  const parts = [];
  const step = Math.max(1, Math.floor(basis.length / 4));
  for (let at = 0; at < basis.length; at += step) {
    parts.push(basis.subarray(at, at + step));
    parts.push(bytes((seed + at) % 300, seed + at));
  }
  return Buffer.concat(parts);
}

async function rejects(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

function throwsCode(fn, code) {
  assert.throws(fn, (err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

const sink = () => new Writable({ write: (chunk, enc, cb) => setImmediate(cb) });

// Signature, loadsig, delta and patch with each magic, whole and in small
// slices, and patch from each kind of basis.
async function roundTrips(seed, dir) {
  const basis = bytes(1000 + ((seed * 7919) % 200000), seed);
  const target = edited(basis, seed);
  const basisPath = path.join(dir, `basis-${seed}`);
  fs.writeFileSync(basisPath, basis);
  const kinds = [
    { hash: 'blake2', rollsum: 'rabinkarp' },
    { hash: 'md4', rollsum: 'rollsum', blockLength: 64, strongLength: 8 },
    { hash: 'blake2', rollsum: 'rollsum', blockLength: 1 + (seed % 700), strongLength: -1, size: basis.length },
    { hash: 'md4', rollsum: 'rabinkarp', blockLength: 4096 },
  ];
  for (const params of kinds) {
    const sig = await lib.signatureBuffer(basis, params);
    // The same signature in tiny slices must be the same bytes.
    const chunks = [];
    await pipeline(
      Readable.from([basis]),
      lib.signature({ size: basis.length, ...params, inputChunkSize: 97, outputChunkSize: 13 }),
      new Writable({ write: (c, e, cb) => (chunks.push(c), cb()) }),
    );
    assert.deepEqual(Buffer.concat(chunks), sig);

    const set = await lib.loadSignature(Readable.from([sig.subarray(0, 5), sig.subarray(5, 20), sig.subarray(20)]));
    const delta = await lib.deltaBuffer(set, target);
    const slicedDelta = [];
    await pipeline(Readable.from([target]), lib.delta(set, { inputChunkSize: 1000, outputChunkSize: 7 }), new Writable({ write: (c, e, cb) => (slicedDelta.push(c), cb()) }));
    set.close();
    set.close();
    assert.deepEqual(await lib.patchBuffer(basis, Buffer.concat(slicedDelta), { inputChunkSize: 3, outputChunkSize: 5 }), target);

    assert.deepEqual(await lib.patchBuffer(basis, delta), target);
    assert.deepEqual(await lib.patchBuffer(basisPath, delta), target);
    const handle = await fsp.open(basisPath, 'r');
    try {
      const viaFd = [];
      await pipeline(Readable.from([delta]), lib.patch(handle.fd, { outputChunkSize: 999 }), new Writable({ write: (c, e, cb) => (viaFd.push(c), cb()) }));
      assert.deepEqual(Buffer.concat(viaFd), target);
      const viaHandle = [];
      await pipeline(Readable.from([delta]), lib.patch(handle, { maxOutput: target.length }), new Writable({ write: (c, e, cb) => (viaHandle.push(c), cb()) }));
      assert.deepEqual(Buffer.concat(viaHandle), target);
    } finally {
      await handle.close();
    }
  }

  // The file helpers, and a signature set used by two deltas at once.
  const sigPath = path.join(dir, `sig-${seed}`);
  const targetPath = path.join(dir, `target-${seed}`);
  const deltaPath = path.join(dir, `delta-${seed}`);
  const outPath = path.join(dir, `out-${seed}`);
  fs.writeFileSync(targetPath, target);
  await lib.signatureFile(basisPath, sigPath);
  const set = await lib.loadSignature(sigPath);
  const [d1, d2] = await Promise.all([lib.deltaBuffer(set, target), lib.deltaBuffer(set, basis)]);
  assert.deepEqual(await lib.patchBuffer(basis, d2), basis);
  await lib.deltaFile(set, targetPath, deltaPath);
  await lib.patchFile(basisPath, deltaPath, outPath);
  assert.deepEqual(fs.readFileSync(outPath), target);
  assert.deepEqual(await lib.patchBuffer(basis, d1), target);
  set.close();

  // compareSignatures reads signatures in TypeScript, but is fed by native ones.
  const a = await lib.signatureBuffer(basis, { blockLength: 256 });
  const b = await lib.signatureBuffer(target, { blockLength: 256 });
  const cmp = await lib.compareSignatures(a, b);
  assert.ok(cmp.matchedBlocks > 0 || basis.length < 256);

  // Empty inputs.
  const emptySig = await lib.signatureBuffer(Buffer.alloc(0));
  const emptySet = await lib.loadSignature(emptySig);
  const slack = await lib.deltaBuffer(emptySet, target);
  assert.deepEqual(await lib.patchBuffer(Buffer.alloc(0), slack), target);
  emptySet.close();
}

// Each way a job can fail once it runs, and the parameters refused up front.
async function failures(seed, dir) {
  const basis = bytes(5000 + seed, seed);
  const sig = await lib.signatureBuffer(basis, { blockLength: 512 });
  const delta = await lib.deltaBuffer(sig, edited(basis, seed));

  await rejects(lib.loadSignature(Buffer.from('not a signature at all')), 'RS_CORRUPT');
  await rejects(lib.loadSignature(Buffer.concat([Buffer.from('727399990000080000000020', 'hex'), sig.subarray(12)])), 'RS_BAD_MAGIC');
  await rejects(lib.loadSignature(sig.subarray(0, sig.length - 3)), 'RS_INPUT_ENDED');
  await rejects(lib.loadSignature(sig.subarray(0, 7)), 'RS_INPUT_ENDED');
  const tooLong = Buffer.from(sig);
  tooLong.writeUInt32BE(1 << 30, 4);
  await rejects(lib.loadSignature(tooLong), 'RS_BLOCK_TOO_LONG');

  await rejects(lib.patchBuffer(basis, Buffer.from('72730236550000', 'hex')), 'RS_CORRUPT');
  await rejects(lib.patchBuffer(basis, delta.subarray(0, delta.length - 1)), 'RS_INPUT_ENDED');
  await rejects(lib.patchBuffer(basis, sig), 'RS_BAD_MAGIC');
  // COPY(0, 64 KiB) from a 5 KiB basis (0x4f: 4-byte offset and length), from memory and from a file.
  const copy = Buffer.concat([Buffer.from('72730236', 'hex'), Buffer.from([0x4f, 0, 0, 0, 0, 0, 1, 0, 0]), Buffer.from([0])]);
  await rejects(lib.patchBuffer(basis, copy), 'RS_COPY_OUT_OF_RANGE');
  const basisPath = path.join(dir, `fail-basis-${seed}`);
  fs.writeFileSync(basisPath, basis);
  await rejects(lib.patchBuffer(basisPath, copy), 'RS_COPY_OUT_OF_RANGE');
  await rejects(pipeline(Readable.from([delta]), lib.patch(basis, { maxOutput: 10 }), sink()), 'RS_OUTPUT_LIMIT');

  // A basis file that shrinks after the patch job took its size.
  const shrinking = path.join(dir, `shrinking-${seed}`);
  fs.writeFileSync(shrinking, basis);
  const selfCopy = await lib.deltaBuffer(sig, basis);
  const handle = await fsp.open(shrinking, 'r');
  try {
    const stream = lib.patch(handle.fd);
    fs.truncateSync(shrinking, 100);
    await rejects(pipeline(Readable.from([selfCopy]), stream, sink()), 'RS_BASIS_CHANGED');
  } finally {
    await handle.close();
  }

  // Bad bases and parameters: refused as the job is made.
  const dirFd = fs.openSync(dir, 'r');
  try {
    throwsCode(() => lib.patch(dirFd), 'RS_PARAM_ERROR');
  } finally {
    fs.closeSync(dirFd);
  }
  throwsCode(() => lib.patch(987654), 'RS_PARAM_ERROR');
  throwsCode(() => lib.signature({ blockLength: 1 << 25 }), 'RS_PARAM_ERROR');
  throwsCode(() => lib.signature({ hash: 'md4', strongLength: 17 }), 'RS_PARAM_ERROR');
  const set = await lib.loadSignature(sig);
  set.close();
  throwsCode(() => lib.delta(set), 'RS_PARAM_ERROR');
}

// Streams destroyed and aborted with a step in flight, and a set closed
// while its deltas run: the job is freed when the step comes back.
async function aborts(seed) {
  const big = bytes(3 << 20, seed);
  const sig = await lib.signatureBuffer(big.subarray(0, 1 << 20), { blockLength: 1024 });
  // A patch of COPY commands over `big`: lots of output per step.
  const copies = Buffer.concat([Buffer.from('72730236', 'hex'), ...Array(64).fill(Buffer.from([0x4f, 0, 0, 0, 0, 0, 0x30, 0, 0])), Buffer.from([0])]);
  for (const [make, input] of [
    [() => lib.signature(), big],
    [() => lib.signature({ hash: 'md4', rollsum: 'rollsum' }), big],
    [(set) => lib.delta(set), big],
    [() => lib.patch(big), copies],
  ]) {
    const set = await lib.loadSignature(sig);
    const stream = make(set);
    stream.on('error', () => {});
    stream.write(input);
    await new Promise((resolve) => setTimeout(resolve, seed % 3));
    stream.destroy();
    set.close();
    const controller = new AbortController();
    const again = await lib.loadSignature(sig);
    const done = pipeline(Readable.from([input, input]), make(again), sink(), { signal: controller.signal });
    again.close();
    setTimeout(() => controller.abort(), seed % 5);
    await rejects(done, 'ABORT_ERR');
  }
  const controller = new AbortController();
  const loading = lib.loadSignature(Readable.from([sig, sig]), { signal: controller.signal });
  controller.abort();
  await assert.rejects(loading);

  // Close the set with three deltas in flight: they finish with it.
  const set = await lib.loadSignature(sig);
  const outputs = [[], [], []];
  const streams = outputs.map((out) => lib.delta(set).on('data', (c) => out.push(c)));
  const running = streams.map((d) => pipeline(Readable.from([big]), d));
  set.close();
  await Promise.all(running);
  assert.deepEqual(Buffer.concat(outputs[0]), Buffer.concat(outputs[2]));
}

// The binding used directly, as no caller of the library would: every
// argument check, and jobs left for the garbage collector unclosed.
async function bindingMisuse() {
  const { NativeJob, NativeSignatureSet } = nativeBinding();
  const state = new Float64Array(3);
  throwsCode(() => new NativeJob(9, state, {}), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(0, new Float64Array(2), {}), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(0, state, { magic: 1, blockLength: 10, strongLength: 8 }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(0, state, { magic: 0x72730137, blockLength: 1.5, strongLength: 8 }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(0, state, { magic: 0x72730137, blockLength: 1e300, strongLength: 8 }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(0, state, { magic: 0x72730137, blockLength: NaN, strongLength: 8 }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(2, state, { signature: {} }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(3, state, {}), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(3, state, { basisFd: -1 }), 'RS_PARAM_ERROR');
  throwsCode(() => new NativeJob(3, state, { basisBuffer: Buffer.alloc(4), maxOutput: -2 }), 'RS_PARAM_ERROR');
  assert.throws(() => new NativeSignatureSet(), /cannot be constructed directly/);

  const job = new NativeJob(0, state, { magic: 0x72730137, blockLength: 2048, strongLength: 32 });
  const input = Buffer.alloc(1 << 20, 3);
  const output = Buffer.alloc(1024);
  throwsCode(() => job.step(false, input, 0, input.length + 1, output, 0, 10, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => job.step(false, input, -1, 1, output, 0, 10, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => job.step(false, input, 0, 1, output, 1020, 5, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => job.step(false, new Uint16Array(4), 0, 1, output, 0, 10, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => job.step(false, input, 0, 1, output, 0, 0, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => job.step(false, input, 0, 1, output, 0, 10, 'not a function'), 'RS_PARAM_ERROR');
  throwsCode(() => job.takeSignature(), 'RS_PARAM_ERROR');
  // A step in flight: a second is refused; close() waits for it.
  const stepped = new Promise((resolve) => job.step(false, input, 0, input.length, output, 0, output.length, resolve));
  throwsCode(() => job.step(false, input, 0, 1, output, 0, 10, () => {}), 'RS_PARAM_ERROR');
  job.close();
  job.close();
  assert.equal(await stepped, null);
  throwsCode(() => job.step(true, null, 0, 0, output, 0, 10, () => {}), 'RS_PARAM_ERROR');
  assert.equal(typeof job.stats().inBytes, 'number');

  // A loadsig job run to the end by hand, its set taken, used, closed.
  const sig = await lib.signatureBuffer(bytes(10000, 5), { blockLength: 100 });
  const load = new NativeJob(1, state, {});
  const err = await new Promise((resolve) => load.step(true, sig, 0, sig.length, null, 0, 0, resolve));
  assert.equal(err, null);
  const set = load.takeSignature();
  assert.equal(set.info().blockCount, 100);
  throwsCode(() => load.takeSignature(), 'RS_PARAM_ERROR');
  set.close();
  assert.equal(set.info(), null);
  assert.equal(set.isClosed(), true);
  load.close();

  // Dropped without close(), some mid-job: freed by their finalizers.
  for (let i = 0; i < 20; i++) {
    const dropped = new NativeJob(i % 4 === 1 ? 1 : 0, new Float64Array(3), { magic: 0x72730146, blockLength: 512, strongLength: 8 });
    if (i % 2 === 0) await new Promise((resolve) => dropped.step(false, input, 0, 4096, output, 0, output.length, resolve));
  }
  const held = new NativeJob(3, new Float64Array(3), { basisBuffer: Buffer.alloc(100) });
  void held;
  gc();
}

async function fileTimes(dir, seed) {
  const file = path.join(dir, `times-${seed}`);
  fs.writeFileSync(file, 'x');
  const link = path.join(dir, `times-link-${seed}`);
  fs.symlinkSync(file, link);
  await setFileTimes(file, 1234567890123456789n);
  assert.equal(fs.statSync(file, { bigint: true }).mtimeNs, 1234567890123456789n);
  await setFileTimes(link, -1500000000n, { noFollow: true });
  assert.equal(fs.lstatSync(link, { bigint: true }).mtimeNs, -1500000000n);
  await assert.rejects(setFileTimes(path.join(dir, 'missing', 'file'), 0n), { code: 'ENOENT' });
  const native = nativeBinding().setFileTimes;
  throwsCode(() => native('', 0n, false, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => native('a\0b', 0n, false, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => native(file, 1n << 70n, false, () => {}), 'RS_PARAM_ERROR');
  throwsCode(() => native(file, 5, false, () => {}), 'RS_PARAM_ERROR');
}

// Extended attributes: every call by path and by descriptor, each way it
// fails, and the arguments refused before any system call.
async function xattrs(dir, seed) {
  const { listXattrs, getXattr, setXattr, removeXattr, readXattrs } = xattrLib;
  const file = path.join(dir, `xattr-${seed}`);
  fs.writeFileSync(file, 'x');
  const values = [Buffer.alloc(0), Buffer.from('v'), bytes(1000 + seed, seed)];
  for (let i = 0; i < values.length; i++) await setXattr(file, `user.n${i}`, values[i]);
  await setXattr(file, Buffer.from(`user.buffer-name-${seed}`), Buffer.from('b'), 'create');
  await rejects(setXattr(file, 'user.n1', Buffer.from('again'), 'create'), 'EEXIST');
  await rejects(setXattr(file, 'user.none', Buffer.from('x'), 'replace'), 'ENODATA');
  assert.equal((await listXattrs(file)).length, 4);
  assert.deepEqual(await getXattr(file, 'user.n2'), values[2]);
  await rejects(getXattr(file, 'user.none'), 'ENODATA');
  const all = await readXattrs(file);
  assert.deepEqual(all.map((a) => String(a.name)), [`user.buffer-name-${seed}`, 'user.n0', 'user.n1', 'user.n2']);
  const bounded = await readXattrs(file, 30);
  assert.ok(bounded.some((a) => a.skipped));
  const handle = await fsp.open(file, 'r');
  try {
    await setXattr(handle.fd, 'user.fd', Buffer.from('by fd'));
    assert.deepEqual(await getXattr(handle.fd, 'user.fd'), Buffer.from('by fd'));
    assert.equal((await listXattrs(handle.fd)).length, 5);
    assert.equal((await readXattrs(handle.fd)).length, 5);
    await removeXattr(handle.fd, 'user.fd');
  } finally {
    await handle.close();
  }
  await removeXattr(file, 'user.n0');
  await rejects(removeXattr(file, 'user.n0'), 'ENODATA');
  await rejects(listXattrs(path.join(dir, 'missing', 'file')), 'ENOENT');
  await rejects(readXattrs(path.join(dir, 'missing', 'file')), 'ENOENT');
  await rejects(listXattrs(2 ** 31 - 1), 'EBADF');
  await rejects(setXattr(file, 'nonsense.x', Buffer.from('x')), 'ENOTSUP');
  const link = path.join(dir, `xattr-link-${seed}`);
  fs.symlinkSync(file, link);
  await rejects(setXattr(link, 'user.x', Buffer.from('x')), 'EPERM');
  const b = nativeBinding();
  const cb = () => {};
  throwsCode(() => b.xattrList('', cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrList(-1, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrList({}, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrList(file), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrGet(file, 'user.' + 'x'.repeat(251), cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrGet(file, 'a\0b', cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrSet(file, 'user.a', Buffer.alloc(65537), 0, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrSet(file, 'user.a', 'text', 0, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrSet(file, 'user.a', Buffer.alloc(1), 7, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrRemove(file, 5, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.xattrReadAll(file, -1, cb), 'RS_PARAM_ERROR');
  // Calls dropped in flight: their callbacks still come, nothing is left behind.
  for (let i = 0; i < 20; i++) b.xattrReadAll(file, 1 << 20, cb);
}

// Data extents (SEEK_DATA/SEEK_HOLE): a sparse file, the cap, each way it fails.
async function dataExtents(dir, seed) {
  const file = path.join(dir, `sparse-${seed}`);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 1 << 20);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes(4096, seed), 0, 4096, 65536);
    fs.writeSync(fd, bytes(4096, seed + 1), 0, 4096, 524288);
    assert.deepEqual(await extentsLib.dataExtents(fd, 1 << 20), [[65536, 4096], [524288, 4096]]);
    assert.deepEqual(await extentsLib.dataExtents(fd, 1 << 20, 1), [[65536, (1 << 20) - 65536]]);
  } finally {
    fs.closeSync(fd);
  }
  await rejects(extentsLib.dataExtents(2 ** 31 - 1, 10), 'EBADF');
  const b = nativeBinding();
  const cb = () => {};
  throwsCode(() => b.dataExtents(-1, 10, 1, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.dataExtents(0, -1, 1, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.dataExtents(0, 10, 0, cb), 'RS_PARAM_ERROR');
  throwsCode(() => b.dataExtents(0, 10, 1), 'RS_PARAM_ERROR');
  // Many at once on one descriptor.
  const held = fs.openSync(file, 'r');
  try {
    await Promise.all(Array.from({ length: 20 }, () => extentsLib.dataExtents(held, 1 << 20)));
  } finally {
    fs.closeSync(held);
  }
}

async function backupRestore(dir, seed) {
  const src = path.join(dir, `tree-${seed}`);
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(src, i % 2 ? 'sub' : '', `f${i}`), bytes(3000 * i + 10, seed + i));
  // Attributes go through the backup's read-all and the restore's list, set and remove.
  await xattrLib.setXattr(path.join(src, 'f2'), 'user.kept', bytes(500, seed));
  await xattrLib.setXattr(path.join(src, 'sub'), 'user.dir', Buffer.from('d'));
  // A sparse file: its holes are recorded as extents, and restored as holes.
  fs.writeFileSync(path.join(src, 'holes'), bytes(100, seed));
  fs.truncateSync(path.join(src, 'holes'), 1 << 20);
  const store = path.join(dir, `store-${seed}`);
  await backupLib.backup(src, store, { blockSize: 1024 });
  fs.appendFileSync(path.join(src, 'f2'), 'more');
  fs.writeFileSync(path.join(src, 'sub', 'f3'), edited(fs.readFileSync(path.join(src, 'sub', 'f3')), seed));
  await backupLib.backup(src, store, { blockSize: 1024 });
  const out = path.join(dir, `restored-${seed}`);
  await backupLib.restore(store, out);
  for (const f of ['f0', 'f2', 'f4', 'sub/f1', 'sub/f3', 'sub/f5', 'holes']) {
    assert.deepEqual(fs.readFileSync(path.join(out, f)), fs.readFileSync(path.join(src, f)));
  }
  assert.deepEqual(await xattrLib.getXattr(path.join(out, 'f2'), 'user.kept'), bytes(500, seed));
  assert.deepEqual(await xattrLib.getXattr(path.join(out, 'sub'), 'user.dir'), Buffer.from('d'));
  const verified = await backupLib.verify(store);
  assert.ok(verified);
}

async function round(seed, dir) {
  await roundTrips(seed, dir);
  await failures(seed, dir);
  await aborts(seed);
  await bindingMisuse();
  await fileTimes(dir, seed);
  await xattrs(dir, seed);
  await dataExtents(dir, seed);
}

function runWorker(source, data, terminateAfterMs) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: data });
    worker.on('error', reject);
    worker.on('exit', resolve);
    if (terminateAfterMs !== undefined) setTimeout(() => void worker.terminate(), terminateAfterMs);
  });
}

async function workers(dir, seed) {
  // Whole rounds in workers, each with its own instance of the addon.
  const codes = await Promise.all(
    [1, 2].map((n) =>
      runWorker(`require(${JSON.stringify(__filename)})`, { seed: seed * 10 + n, dir }),
    ),
  );
  assert.deepEqual(codes, [0, 0]);
  // Workers terminated with jobs in flight and sets never closed.
  for (let i = 0; i < 3; i++) {
    await runWorker(
      `const lib = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
       const big = Buffer.alloc(16 << 20, 7);
       lib.signatureBuffer(big.subarray(0, 1 << 20)).then((sig) => lib.loadSignature(sig)).then((set) => {
         globalThis.keep = set;
         for (let j = 0; j < 3; j++) { lib.signatureBuffer(big); lib.deltaBuffer(set, big); lib.patchBuffer(big, Buffer.from('7273023600', 'hex')); }
       });`,
      {},
      5 + i * 20 + (seed % 7),
    );
  }
  // A worker that just ends with everything still open.
  await runWorker(
    `const lib = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
     lib.signatureBuffer(Buffer.alloc(100000, 1)).then((sig) => lib.loadSignature(sig)).then((set) => {
       globalThis.keep = [set, lib.signature(), lib.delta(set), lib.patch(Buffer.alloc(10))];
     });`,
    {},
  );
}

// Open descriptors, once dropped jobs have been collected and finalized
// (Node runs addon finalizers after the collection, from the event loop).
async function settledDescriptors() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
    } catch {
      return `${fd} (closed while listing)`;
    }
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librsync-exercise-'));
  try {
    assert.equal(lib.backendInfo().backend, 'native', 'the native addon must load (LIBRSYNC_ADDON_PATH?)');
    lib.setDefaultBackend('native');
    if (!isMainThread) {
      await round(workerData.seed, workerData.dir);
      return;
    }
    const started = Date.now();
    let baseline;
    for (let i = 1; i <= ROUNDS; i++) {
      await round(i, dir);
      if (i % 4 === 1) await backupRestore(dir, i);
      if (i % 4 === 2) await workers(dir, i);
      // LeakSanitizer sees memory, not descriptors: count those. Node opens
      // a few of its own lazily (workers, the thread pool), so the count
      // is taken once every kind of round has run.
      if (i === 2 || i === ROUNDS) {
        const fds = await settledDescriptors();
        if (i === 2) baseline = fds;
        else {
          const added = fds.filter((fd) => !baseline.includes(fd));
          assert.ok(fds.length <= baseline.length, `descriptors leaked: ${baseline.length} open after round 2, ${fds.length} now; new:\n${added.join('\n')}`);
        }
      }
    }
    // Left open on purpose, for the environment's teardown to free.
    globalThis.keep = [await lib.loadSignature(await lib.signatureBuffer(bytes(9999, 1))), lib.signature(), lib.patch(Buffer.alloc(1))];
    console.log(`exercise-native: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s, backend ${JSON.stringify(lib.backendInfo())}`);
  } finally {
    if (isMainThread) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The process must end by running out of work, never through
// process.exit(), which skips the teardown that frees what Node holds (and
// LeakSanitizer would report it all); this only guards against a hang.
setTimeout(() => {
  console.error('exercise-native: still running after 10 minutes');
  process.exit(2);
}, 600_000).unref();

main().catch((err) => {
  console.error('exercise-native failed:', err);
  process.exitCode = 1;
  if (!isMainThread) parentPort.close();
});
