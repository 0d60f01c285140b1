'use strict';
// The concurrency soak behind test/soak-streams.test.ts. It runs in a
// child process of its own, so that the RSS and the descriptors it
// measures are its own, and a crash or a hang cannot take jest down with
// it. The same file is the body of the worker threads it starts. Its last
// line of output is one JSON report; the test asserts on it. By hand,
// after `npm run build:ts`:
//   MALLOC_MMAP_THRESHOLD_=131072 node --expose-gc test/support/soak-runner.js '{"seconds": 300}'
// (options: DEFAULTS below; LIBRSYNC_SOAK_DEBUG=1 lists the jobs still
// running while a phase drains), and one job of a run again, alone:
//   node --expose-gc test/support/soak-runner.js '{"seed": RUNSEED, "replay": JOBSEED}'
//
// For a bounded time, `jobs` lanes on the main thread and `workerJobs`
// lanes in each of `workers` worker threads run one job after another:
// signatures, signature loads, deltas, patches, signature comparisons, the
// promise helpers (Buffers and files), on both backends, with random
// input chunking and step sizes. Deltas share SignatureSets that other
// jobs close under them. Some jobs are aborted (AbortSignal, destroy(),
// destroy(err), a consumer that stops reading and then destroys, a source
// that fails), some get corrupt input, some worker threads are terminated
// mid-job. Every job has a watchdog; every completed job is checked byte
// for byte (against rdiff, the other backend, or the original file after a
// round trip); every failure must be the abort the job caused or a
// LibrsyncError with a code its corruption can give.
//
// The run has two stages (see phases()), each cut into phases (the first
// is the warm-up); between phases every job, set and worker thread is
// finished, and RSS, heap and descriptors are measured at that quiet point.
const { createHash, randomBytes } = require('node:crypto');
const { getEventListeners, once, setMaxListeners } = require('node:events');
const fs = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { execFileSync } = require('node:child_process');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const DIST = isMainThread ? process.env.LIBRSYNC_SOAK_DIST || join(__dirname, '..', '..', 'dist', 'index.js') : workerData.dist;
const lib = require(DIST);
const { LibrsyncError } = lib;

const DEFAULTS = {
  seconds: 24,
  seed: undefined,
  /** Concurrent jobs on the main thread. */
  jobs: 24,
  /** Worker threads alive at once, each running workerJobs concurrent jobs. */
  workers: 3,
  workerJobs: 5,
  /** A job still running after this long is reported as hung (and abandoned). */
  jobTimeoutMs: 60_000,
  /** Probability that a worker thread is terminated mid-job rather than stopped. */
  terminateRate: 0.5,
  /** Share of `seconds` for the threads stage (the rest: the memory stage, main thread only). */
  threadShare: 0.55,
  /** Phases of each stage, each ending at a quiet point (RSS, descriptors); the first is a warm-up. */
  threadPhases: 3,
  memoryPhases: 3,
  /** The backends jobs pick from (the round trip and cross-checks use both regardless). */
  backends: ['native', 'js'],
};

// ---------------------------------------------------------------------
// Seeded randomness.

/** mulberry32: a small, well-mixed 32-bit PRNG. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) {
    this.seed = seed >>> 0;
    this.next = mulberry32(this.seed);
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(items) {
    return items[this.int(items.length)];
  }
  /** [[weight, value], ...] */
  weighted(table) {
    const total = table.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of table) {
      x -= w;
      if (x < 0) return v;
    }
    return table[table.length - 1][1];
  }
}

/** A 32-bit seed derived from several integers (for one job of one thread). */
function mix(...parts) {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  }
  return h >>> 0;
}

function randomData(length, seed) {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Deterministic edits: replaced, inserted and deleted ranges. */
function edited(basis, seed, edits = 6) {
  const r = new Rng(seed);
  let out = Buffer.from(basis);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = r.int(out.length);
    const kind = r.int(3);
    if (kind === 0) randomData(1 + r.int(3000), seed * 10 + i).copy(out, at);
    else if (kind === 1) out = Buffer.concat([out.subarray(0, at), randomData(1 + r.int(5000), seed * 10 + i), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + r.int(8000))]);
  }
  return out;
}

const sha = (data) => createHash('sha256').update(data).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves `value` after `ms` unless cancelled first; never keeps a thread alive once cancelled. */
function timer(ms, value) {
  let handle;
  const promise = new Promise((resolve) => {
    handle = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(handle) };
}

/** The first of `promise` and a timeout of `ms` (which then gives `value`). */
async function within(promise, ms, value) {
  const t = timer(ms, value);
  try {
    return await Promise.race([promise, t.promise]);
  } finally {
    t.cancel();
  }
}
const fdCount = () => fs.readdirSync('/proc/self/fd').length;
/** What each open descriptor points at (sockets, pipes and anonymous inodes by kind only). */
function fdTargets() {
  const out = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(fs.readlinkSync(`/proc/self/fd/${fd}`).replace(/^(socket|pipe|anon_inode):.*/, '$1'));
    } catch {
      // the directory's own descriptor, closed by now
    }
  }
  return out.sort();
}

// ---------------------------------------------------------------------
// Hand-built delta pieces and signature headers (as in test/support/rsync.ts).

function beUint(value, width) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b.subarray(8 - width);
}
function copyCmd(offset, length) {
  const w = (v) => (v <= 0xff ? 0 : v <= 0xffff ? 1 : v <= 0xffffffff ? 2 : 3);
  const widths = [1, 2, 4, 8];
  return Buffer.concat([Buffer.from([0x45 + (w(offset) << 2) + w(length)]), beUint(offset, widths[w(offset)]), beUint(length, widths[w(length)])]);
}
const DELTA_MAGIC = Buffer.from([0x72, 0x73, 0x02, 0x36]);
const END = Buffer.from([0]);
function sigHeader(magic, blockLength, strongLength) {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(magic >>> 0, 0);
  b.writeUInt32BE(blockLength >>> 0, 4);
  b.writeUInt32BE(strongLength >>> 0, 8);
  return b;
}

// ---------------------------------------------------------------------
// The corpus: made once on the main thread, with rdiff's outputs as the
// expected bytes; worker threads receive a copy.

const CASE_SPECS = [
  // [name, basis size, how the new file is made, signature parameters]
  ['empty basis (slack delta)', 0, (b, s) => randomData(100_000, s), { hash: 'md4', rollsum: 'rollsum', blockLength: 2048 }],
  ['1-byte basis, empty new file', 1, () => Buffer.alloc(0), { blockLength: 2048 }],
  ['3 KiB, 64-byte blocks, 8-byte sums', 3000, (b, s) => edited(b, s, 3), { hash: 'blake2', rollsum: 'rabinkarp', blockLength: 64, strongLength: 8 }],
  ['200 KiB, md4', 200 << 10, (b, s) => edited(b, s), { hash: 'md4', rollsum: 'rabinkarp', blockLength: 512 }],
  ['1 MiB, defaults', 1 << 20, (b, s) => edited(b, s), { blockLength: 2048 }],
  ['3 MiB, rollsum, 4 KiB blocks', 3 << 20, (b, s) => edited(b, s, 10), { hash: 'blake2', rollsum: 'rollsum', blockLength: 4096 }],
  ['2 MiB, unrelated new file', 2 << 20, (b, s) => randomData(b.length + 777, s), { blockLength: 1024, strongLength: 12 }],
  ['777 KiB identical, 700-byte blocks', 777 << 10, (b) => Buffer.from(b), { hash: 'md4', rollsum: 'rollsum', blockLength: 700 }],
  ['64 KiB, 4-byte sums', 64 << 10, (b, s) => edited(b, s, 4), { blockLength: 256, strongLength: 4 }],
  ['1.5 MiB repetitive', 1536 << 10, (b, s) => edited(b, s, 5), { blockLength: 1000 }, 'repetitive'],
];

function rdiffSigArgs(p) {
  const args = ['-b', String(p.blockLength)];
  if (p.hash) args.push('-H', p.hash);
  if (p.rollsum) args.push('-R', p.rollsum);
  if (p.strongLength) args.push('-S', String(p.strongLength));
  return args;
}
// (stderr ignored: rdiff warns about the deliberately short strong sums)
const rdiff = (...args) => execFileSync('rdiff', ['-f', ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });

function makeCorpus(dir, seed) {
  const cases = CASE_SPECS.map(([name, size, makeNew, params, flavour], id) => {
    let basis = randomData(size, mix(seed, id, 1));
    if (flavour === 'repetitive') {
      // a few distinct 1000-byte blocks, repeated: long hash chains
      const unit = randomData(4000, mix(seed, id, 2));
      for (let i = 0; i < size; i++) basis[i] = unit[(i * 7) % 4000];
    }
    const newer = makeNew(basis, mix(seed, id, 3));
    const p = (what) => join(dir, `case${id}.${what}`);
    fs.writeFileSync(p('basis'), basis);
    fs.writeFileSync(p('new'), newer);
    rdiff(...rdiffSigArgs(params), 'signature', p('basis'), p('sig'));
    rdiff(...rdiffSigArgs(params), 'signature', p('new'), p('newsig'));
    const altParams = { ...params, blockLength: params.blockLength * 2 + 1 };
    rdiff(...rdiffSigArgs(altParams), 'signature', p('new'), p('altsig'));
    rdiff('delta', p('sig'), p('new'), p('delta'));
    const sig = fs.readFileSync(p('sig'));
    const magic = sig.readUInt32BE(0);
    const strongLength = sig.readUInt32BE(8);
    return {
      id,
      name,
      params,
      basis,
      newer,
      sig,
      newSig: fs.readFileSync(p('newsig')),
      altSig: fs.readFileSync(p('altsig')),
      delta: fs.readFileSync(p('delta')),
      paths: { basis: p('basis'), newer: p('new'), sig: p('sig'), newSig: p('newsig'), altSig: p('altsig'), delta: p('delta') },
      magic,
      strongLength,
      blockCount: Math.floor((sig.length - 12) / (4 + strongLength)),
      slack: basis.length === 0,
    };
  });
  // A delta bomb for backpressure: 16 COPYs of the whole 3 MiB basis.
  const bombCase = cases.find((c) => c.basis.length === 3 << 20);
  const bomb = Buffer.concat([DELTA_MAGIC, ...Array.from({ length: 16 }, () => copyCmd(0, bombCase.basis.length)), END]);
  const h = createHash('sha256');
  for (let i = 0; i < 16; i++) h.update(bombCase.basis);
  return { cases, bomb: { caseId: bombCase.id, delta: bomb, outLength: 16 * bombCase.basis.length, outHash: h.digest('hex') } };
}

/** What compareSignatures must say, reduced to comparable fields. */
function comparisonSummary(c) {
  return JSON.stringify({
    blockLength: c.blockLength,
    strongLength: c.strongLength,
    oldBlocks: c.oldBlocks,
    newBlocks: c.newBlocks,
    matchedBlocks: c.matchedBlocks,
    missingBlocks: c.missingBlocks,
    oldBlockOf: sha(Buffer.from(c.oldBlockOf.buffer, c.oldBlockOf.byteOffset, c.oldBlockOf.byteLength)),
    matches: c.matches.length,
    missing: c.missing.length,
  });
}

/** Buffers arrive in a worker thread as plain Uint8Arrays. */
function reviveCorpus(corpus) {
  const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  for (const c of corpus.cases) {
    for (const k of ['basis', 'newer', 'sig', 'newSig', 'altSig', 'delta']) c[k] = buf(c[k]);
  }
  corpus.bomb.delta = buf(corpus.bomb.delta);
  return corpus;
}

// ---------------------------------------------------------------------
// Inputs with random chunking.

/** Upper bound of a chunk: whole, big, medium, small, tiny (tiny only for small inputs). */
function chunkLimit(rng, length) {
  const floor = Math.max(1, Math.ceil(length / 1000)); // at most ~1000 writes per job
  const choice = rng.weighted([
    [2, length || 1],
    [2, 1 << 20],
    [3, rng.range(1024, 256 << 10)],
    [2, rng.range(1, 4096)],
    [length <= 16 << 10 ? 1 : 0, rng.range(1, 16)],
  ]);
  return Math.max(floor, choice);
}

/**
 * A Readable of `data` in chunks of 1..limit bytes (objectMode keeps each
 * chunk one write). `onChunk(i)` runs before chunk i is produced and may
 * return an Error to fail the source with.
 */
function chunkedSource(data, rng, limit, onChunk) {
  const r = new Rng(rng.int(2 ** 32));
  function* gen() {
    let i = 0;
    for (let offset = 0; offset < data.length; i++) {
      const n = 1 + r.int(limit);
      const failure = onChunk ? onChunk(i) : undefined;
      if (failure) throw failure;
      yield data.subarray(offset, offset + n);
      offset += n;
    }
    const failure = onChunk ? onChunk(i) : undefined;
    if (failure) throw failure;
  }
  return Readable.from(gen(), { objectMode: true });
}

/**
 * Random step sizes for a stream factory, bounded so that a job has at
 * most about a thousand steps: with 40 jobs on 2 cores every step waits
 * its turn, and a job of 10,000 one-byte steps took 25 s.
 */
function streamOptions(rng, inLength, outLength) {
  const o = {};
  if (rng.chance(0.5)) o.inputChunkSize = Math.max(Math.ceil(inLength / 500), rng.pick([1, 7, 4096, 65536, 1 << 20, rng.range(1, 200_000)]));
  if (rng.chance(0.5)) o.outputChunkSize = Math.max(Math.ceil(outLength / 500), rng.pick([1, 13, 4096, 65536, 1 << 20, rng.range(1, 200_000)]));
  if (rng.chance(0.2)) o.readableHighWaterMark = rng.pick([1, 1024, 16384, 1 << 20]);
  if (rng.chance(0.2)) o.writableHighWaterMark = rng.pick([1, 1024, 16384, 1 << 20]);
  return o;
}

// ---------------------------------------------------------------------
// Outcomes.

class SoakAbort extends Error {
  constructor(message) {
    super(message);
    this.name = 'SoakAbort';
  }
}

/** Where a job's stream and consumer stand, for a hang report. */
function streamState(job) {
  const s = job.stream;
  const k = job.sink;
  const parts = [`state ${job.state ?? '?'}`];
  if (s) {
    parts.push(`stream: destroyed ${s.destroyed}, readableEnded ${s.readableEnded}, writableFinished ${s.writableFinished}, readableLength ${s.readableLength}, writableLength ${s.writableLength}, flowing ${s.readableFlowing}`);
    parts.push(`stats ${JSON.stringify(s.stats ?? null)}`);
  }
  if (k) parts.push(`consumer: finished ${k.writableFinished}, destroyed ${k.destroyed}, writableLength ${k.writableLength}`);
  return parts.join('; ');
}

/**
 * A check that failed. A job ends as 'ok' (output checked), 'aborted' (the
 * way its plan asked), 'refused' (a LibrsyncError its corrupt input may
 * give), 'accepted' (corrupt input that happens to be valid) or with a
 * Failure.
 */
class Failure extends Error {}

function describeError(err) {
  if (!(err instanceof Error)) return `non-Error thrown: ${String(err)}`;
  const code = err.code === undefined ? '' : ` [${err.code}]`;
  return `${err.constructor?.name ?? 'Error'} ${err.name}${code}: ${err.message}`;
}

function checkBytes(actual, expected, what) {
  if (typeof expected === 'string') {
    const got = sha(actual);
    if (got !== expected) throw new Failure(`${what}: output differs (${actual.length} bytes, sha256 ${got.slice(0, 16)}, expected ${expected.slice(0, 16)})`);
    return;
  }
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  throw new Failure(`${what}: output differs: got ${actual.length} bytes, expected ${expected.length}; first difference at ${i}`);
}

const DELTA_CODES = ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_COPY_OUT_OF_RANGE', 'RS_OUTPUT_LIMIT'];

// ---------------------------------------------------------------------
// The soak: lanes of jobs on one thread.

class Soak {
  constructor({ corpus, seed, thread, jobTimeoutMs, scratch, backends = ['native', 'js'], noFiles = false }) {
    this.backends = backends;
    /**
     * No job opens a file by path (Buffers, streams and descriptors only).
     * For worker threads that will be terminated: Node leaks the descriptor
     * of an fs.promises open() or close() in flight when a worker is
     * terminated (any code, not only ours), which would blur the
     * descriptor check. Descriptors opened with openSync are closed by Node.
     */
    this.noFiles = noFiles;
    this.cases = corpus.cases;
    this.bomb = corpus.bomb;
    this.seed = seed;
    this.thread = thread;
    this.threadNumber = mix(...Buffer.from(String(thread)));
    this.jobTimeoutMs = jobTimeoutMs;
    this.scratch = scratch;
    this.outDir = join(scratch, `out-${thread}`);
    fs.mkdirSync(this.outDir, { recursive: true });
    this.nextJob = 0;
    this.stopping = false;
    /** SignatureSets shared by the deltas of this thread: `${case}/${backend}` → { set, loading } */
    this.sets = new Map();
    this.active = new Map();
    this.counts = {};
    this.failures = [];
    this.jobMs = [];
    this.slowest = [];
    this.idleSignal = new AbortController().signal;
    setMaxListeners(0, this.idleSignal); // many jobs at once legitimately listen
  }

  /** Abort listeners left on the idle signal: none once no job runs. */
  idleListeners() {
    return getEventListeners(this.idleSignal, 'abort').length;
  }

  fail(job, message, err) {
    const entry = {
      thread: this.thread,
      job: job ? job.label : undefined,
      jobSeed: job ? job.seed : undefined,
      message,
      error: err === undefined ? undefined : describeError(err),
      stack: err instanceof Error ? err.stack : undefined,
    };
    if (this.failures.length < 100) this.failures.push(entry);
    else this.failuresDropped = (this.failuresDropped ?? 0) + 1;
  }

  count(key) {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  /** Runs `lanes` concurrent job loops until `deadline` (ms since epoch) or stop(). */
  async run(lanes, deadline) {
    const lane = async () => {
      while (!this.stopping && Date.now() < deadline) await this.runOne(this.nextJob++);
    };
    // LIBRSYNC_SOAK_DEBUG=1: while draining, say which jobs are still running.
    const debug =
      process.env.LIBRSYNC_SOAK_DEBUG &&
      setInterval(() => {
        if (Date.now() < deadline && !this.stopping) return;
        for (const [i, j] of this.active) process.stderr.write(`[${this.thread}] draining: #${i} ${j.label} for ${Date.now() - j.started} ms: ${streamState(j)}\n`);
      }, 2000);
    await Promise.all(Array.from({ length: lanes }, lane));
    if (debug) clearInterval(debug);
  }

  /** Closes every shared set (between phases, so that each measurement sees none). */
  closeSets() {
    for (const entry of this.sets.values()) entry.set?.close();
    this.sets.clear();
  }

  async runOne(index) {
    const seed = this.jobSeedOverride ?? mix(this.seed, this.threadNumber, index);
    const rng = new Rng(seed);
    const started = Date.now();
    const job = { seed, rng, label: `#${index}`, cleanups: [], started };
    let timer;
    const body = this.execute(job).then(
      (outcome) => outcome,
      (err) => {
        if (!(err instanceof Failure)) this.fail(job, 'job threw', err);
        else this.fail(job, err.message);
        return 'failed';
      },
    );
    this.active.set(index, job);
    const watchdog = new Promise((resolve) => {
      timer = setTimeout(() => resolve('hung'), this.jobTimeoutMs);
    });
    const outcome = await Promise.race([body, watchdog]);
    clearTimeout(timer);
    this.active.delete(index);
    if (outcome === 'hung') {
      this.fail(job, `no outcome after ${this.jobTimeoutMs} ms (hang?); ${streamState(job)}`);
      // The job is abandoned; its own cleanups still run if it ever ends.
      body.then(() => this.cleanup(job));
      this.count(`${job.kind}:hung`);
      return;
    }
    await this.cleanup(job);
    const ms = Date.now() - started;
    this.jobMs.push(ms);
    if (this.slowest.length < 5 || ms > this.slowest[this.slowest.length - 1].ms) {
      this.slowest.push({ ms, job: `${this.thread} ${job.label}`, seed: job.seed });
      this.slowest.sort((a, b) => b.ms - a.ms).splice(5);
    }
    this.count(`${job.kind}:${outcome}`);
  }

  async cleanup(job) {
    for (const fn of job.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.fail(job, 'cleanup failed', err);
      }
    }
    job.cleanups = [];
  }

  async execute(job) {
    const { rng } = job;
    job.kind = rng.weighted([
      [3, 'signature'],
      [2, 'loadsig'],
      [4, 'delta'],
      [4, 'patch'],
      [1.5, 'compare'],
      [1.5, 'roundtrip'],
      [0.6, 'bomb'],
      [0.5, 'rotate'],
      [0.5, 'misuse'],
    ]);
    job.backend = rng.pick(this.backends);
    job.case = rng.pick(this.cases);
    job.label += ` ${job.kind} [${job.backend}] case "${job.case.name}"`;
    job.state = 'starting';
    switch (job.kind) {
      case 'signature':
        return this.signatureJob(job);
      case 'loadsig':
        return this.loadJob(job);
      case 'delta':
        return this.deltaJob(job);
      case 'patch':
        return this.patchJob(job);
      case 'compare':
        return this.compareJob(job);
      case 'roundtrip':
        return this.roundTripJob(job);
      case 'bomb':
        return this.bombJob(job);
      case 'rotate':
        return this.rotateJob(job);
      default:
        return this.misuseJob(job);
    }
  }

  // -------------------------------------------------------------------
  // What a job does to itself.

  /**
   * The disturbance: none, an abort (signal, destroy, destroy(err), a
   * stall then destroy, a failing source) at a random moment, or corrupt
   * input. `streamed` says whether the job has a stream to destroy.
   */
  plan(job, streamed, corruptible) {
    const { rng } = job;
    const mode = rng.weighted([
      [10, 'none'],
      [2.5, 'signal'],
      [streamed ? 2 : 0, 'destroy'],
      [streamed ? 1.5 : 0, 'destroy-error'],
      [streamed ? 1.5 : 0, 'stall'],
      [1, 'source-error'],
      [0.7, 'pre-aborted'],
      [corruptible ? 2.5 : 0, 'corrupt'],
    ]);
    const when = rng.weighted([
      [3, 'time'],
      [2, 'input'],
      [streamed ? 3 : 0, 'output'],
      [streamed ? 0.5 : 0, 'at-once'],
    ]);
    const p = { mode, when, delay: rng.pick([0, 1, 2, 5, 10, 25, 60]), at: rng.int(6), fired: false, error: new SoakAbort(`soak abort of ${job.label}`) };
    if (mode === 'source-error') p.when = 'input';
    if (mode === 'stall') p.when = rng.chance(0.8) ? 'output' : 'time';
    if (mode !== 'none' && mode !== 'corrupt') job.label += ` (${mode} on ${p.when}${p.when === 'time' ? ` ${p.delay}ms` : ` #${p.at}`})`;
    job.plan = p;
    return p;
  }

  /** Arms a time trigger; the others fire from the source, the sink or at once. */
  arm(job, fire) {
    const p = job.plan;
    if (p.mode === 'none' || p.mode === 'corrupt' || p.mode === 'pre-aborted') return;
    if (p.when === 'time') {
      const t = setTimeout(fire, p.delay);
      job.cleanups.push(() => clearTimeout(t));
    } else if (p.when === 'at-once') {
      fire();
    }
  }

  /** The signal a job passes (aborted already, or aborted by its plan). */
  signalFor(job) {
    const p = job.plan;
    if (p.mode === 'pre-aborted') return AbortSignal.abort();
    if (p.mode === 'signal' || (p.mode === 'stall' && job.rng.chance(0.5))) {
      p.controller = new AbortController();
      return p.controller.signal;
    }
    // Others often get the one signal of this thread that never fires:
    // every job must remove its listener from it (checked at quiet points).
    return job.rng.chance(0.3) ? this.idleSignal : undefined;
  }

  /**
   * A source of `data` for a job: chunked, firing the plan's input
   * trigger, failing with the plan's error for 'source-error'.
   */
  source(job, data, fire) {
    const p = job.plan;
    return chunkedSource(data, job.rng, chunkLimit(job.rng, data.length), (i) => {
      if (p.when !== 'input' || i !== p.at || p.fired) return undefined;
      if (p.mode === 'source-error') {
        p.fired = true;
        return p.error;
      }
      fire();
      return undefined;
    });
  }

  /**
   * Checks how a job that was disturbed (or not) ended. `run` resolves
   * with the output; `verify(output)` checks a completed job; `codes` are
   * the LibrsyncError codes a corrupt input may give (a list marked
   * `acceptable`, for random byte flips, allows success too, unchecked).
   */
  async settle(job, run, verify, codes) {
    const p = job.plan;
    let output;
    try {
      output = await run();
    } catch (err) {
      return this.classify(job, err, codes);
    }
    job.state = 'verifying';
    if (p.mode === 'corrupt') {
      if (codes && !codes.acceptable) throw new Failure(`corrupt input (${p.corruption}) was accepted`);
      return 'accepted';
    }
    if (p.mode === 'pre-aborted') throw new Failure('an already aborted signal did not stop the job');
    if (p.mode === 'source-error' && p.fired) throw new Failure('the source failed, yet the job succeeded');
    await verify(output);
    return p.fired ? 'ok-after-abort' : 'ok';
  }

  classify(job, err, codes) {
    const p = job.plan;
    if (p.mode === 'corrupt') {
      if (err instanceof LibrsyncError && codes && codes.includes(err.code)) return 'refused';
      throw new Failure(`corrupt input (${p.corruption}) should give one of ${codes ? codes.join(', ') : '?'}, got ${describeError(err)}`);
    }
    const expectAbort = (cond, what) => {
      if (!cond) throw new Failure(`expected ${what}, got ${describeError(err)}`);
      return 'aborted';
    };
    if (p.mode === 'stall' && p.fired && p.streamWasDone) {
      // The stream had ended into the stalled consumer's buffer: only the consumer was given up.
      return expectAbort(err && err.code === 'ERR_STREAM_PREMATURE_CLOSE', 'a premature close (the consumer was destroyed)');
    }
    if (p.mode === 'pre-aborted' || p.mode === 'signal' || (p.mode === 'stall' && p.controller)) {
      if (p.fired || p.mode === 'pre-aborted') return expectAbort(err && err.name === 'AbortError', 'an AbortError');
    }
    if (p.fired && (p.mode === 'destroy-error' || p.mode === 'source-error')) return expectAbort(err === p.error, 'the error the job was destroyed with');
    if (p.fired && (p.mode === 'destroy' || p.mode === 'stall')) {
      return expectAbort(err && err.code === 'ERR_STREAM_PREMATURE_CLOSE', 'a premature close (the stream was destroyed)');
    }
    throw new Failure(`unexpected failure: ${describeError(err)}`);
  }

  /**
   * Drives a JobStream: chunked input in, output collected by a sink that
   * may be slow, may stall (and then destroy the stream) and may fire the
   * plan from inside a write (that is, from a 'data' handler).
   */
  async drive(job, stream, input, { hashOnly = false, outputChunk } = {}) {
    const p = job.plan;
    const { rng } = job;
    job.stream = stream;
    const emitted = [];
    stream.on('error', (e) => emitted.push(e));
    const closed = once(stream, 'close').catch(() => undefined);
    let stalled = false;
    const fire = () => {
      if (p.fired || p.mode === 'none' || p.mode === 'corrupt' || p.mode === 'source-error') return;
      p.fired = true;
      if (p.mode === 'signal') p.controller.abort();
      else if (p.mode === 'destroy') {
        // Node 20's pipeline() never settles for a Transform destroyed
        // without an error once it has pushed its end but before that end
        // was read (any Transform: see README, Streams). A consumer in that
        // position has to give up too, which is what this one does.
        const endPushed = stream._readableState.ended;
        stream.destroy();
        if (endPushed && !stream.readableEnded) {
          this.count('destroy-after-end-pushed');
          sink.destroy();
        }
      } else if (p.mode === 'destroy-error') stream.destroy(p.error);
      else if (p.mode === 'stall') {
        stalled = true;
        const t = setTimeout(() => {
          // Backpressure held while nobody read: the readable side holds at
          // most its high-water mark plus the one step's output that filled it.
          const bound = stream.readableHighWaterMark + outputChunk;
          if (!stream.destroyed && stream.readableLength > bound) {
            this.fail(job, `stalled consumer: ${stream.readableLength} bytes buffered, bound ${bound}`);
          }
          p.streamWasDone = stream.destroyed;
          if (p.controller) p.controller.abort();
          else stream.destroy();
          // The consumer gives up too (the stream may have ended into its buffer already).
          sink.destroy();
        }, rng.pick([5, 20, 60, 150]));
        job.cleanups.push(() => clearTimeout(t));
      }
    };
    const parts = [];
    const hash = createHash('sha256');
    let length = 0;
    let writes = 0;
    const slow = rng.chance(0.3);
    let timers = 0;
    const sink = (job.sink = new Writable({
      highWaterMark: rng.pick([1, 16 << 10, 1 << 20]),
      write(chunk, _enc, cb) {
        if (hashOnly) hash.update(chunk);
        else parts.push(chunk);
        length += chunk.length;
        if (p.when === 'output' && writes++ === p.at) fire();
        if (stalled) return; // never calls back: the consumer has stopped reading
        // A slow consumer: a turn of the event loop per write, and a 1 ms
        // timer for some of them (at most 100 per job: outputs may come in
        // tens of thousands of tiny chunks).
        if (slow && writes % 3 === 0 && timers++ < 100) setTimeout(cb, 1);
        else if (slow) setImmediate(cb);
        else cb();
      },
    }));
    this.arm(job, fire);
    job.state = 'streaming';
    const source = input instanceof Readable ? input : this.source(job, input, fire);
    try {
      await pipeline(source, stream, sink);
    } finally {
      job.state = 'closing';
      const close = await within(closed.then(() => true), 10_000, false);
      if (!close) this.fail(job, 'the stream did not emit close within 10 s of its pipeline settling');
      // What the stream itself emitted: nothing after a plain destroy(), one error otherwise.
      if (emitted.length > 1) this.fail(job, `the stream emitted ${emitted.length} errors: ${emitted.map(describeError).join('; ')}`);
      if (p.fired && (p.mode === 'destroy' || (p.mode === 'stall' && !p.controller)) && emitted.length > 0) {
        this.fail(job, `destroy() without an error made the stream emit ${describeError(emitted[0])}`);
      }
      // Late errors would be uncaught without a listener: keep one.
      stream.on('error', (e) => this.fail(job, 'the stream emitted an error after it closed', e));
    }
    const stats = stream.stats;
    if (!stats || stats.outBytes !== length) throw new Failure(`stats.outBytes ${stats && stats.outBytes} but ${length} bytes came out`);
    return hashOnly ? { hash: hash.digest('hex'), length } : Buffer.concat(parts, length);
  }

  /** A helper's run with the plan wired to its signal (helpers have no stream to destroy). */
  helperRun(job, call) {
    const p = job.plan;
    const fire = () => {
      if (p.fired || !p.controller) return;
      p.fired = true;
      p.controller.abort();
    };
    return { fire, run: () => (this.arm(job, fire), call()) };
  }

  /** An input for a helper: a Buffer, a path or a chunked Readable (the only one that can fire or fail). */
  helperInput(job, data, path, fire) {
    const p = job.plan;
    const kind = p.when === 'input' ? 'stream' : job.rng.pick(['buffer', 'path', 'stream']);
    if (kind === 'buffer') return data;
    if (kind === 'path' && path && !this.noFiles) return path;
    return this.source(job, data, fire);
  }

  /** A fresh output path for a file helper, checked on the way out. */
  outputPath(job, ext) {
    const name = `j${job.seed.toString(16)}-${this.nextJob}.${ext}`;
    const path = join(this.outDir, name);
    job.cleanups.push(() => fs.rmSync(path, { force: true }));
    return path;
  }

  /** After a file helper: the target exists only on success, and no temporary file is left. */
  checkFileOutcome(job, path, succeeded) {
    const name = path.slice(this.outDir.length + 1);
    const temps = fs.readdirSync(this.outDir).filter((n) => n.startsWith(`.${name}.`));
    if (temps.length > 0) this.fail(job, `temporary files left behind: ${temps.join(', ')}`);
    if (!succeeded && fs.existsSync(path)) this.fail(job, 'a failed file helper left its target behind');
  }

  async fileHelper(job, path, call) {
    try {
      await call();
    } catch (err) {
      this.checkFileOutcome(job, path, false);
      throw err;
    }
    this.checkFileOutcome(job, path, true);
    return fs.readFileSync(path);
  }

  // -------------------------------------------------------------------
  // Shared SignatureSets.

  async sharedSet(c, backend) {
    const key = `${c.id}/${backend}`;
    let entry = this.sets.get(key);
    if (!entry) {
      entry = { set: undefined, loading: undefined };
      this.sets.set(key, entry);
    }
    if (entry.set && !entry.set.closed) return entry.set;
    entry.loading ??= lib.loadSignature(c.sig, { backend }).then(
      (set) => {
        entry.loading = undefined;
        if (this.sets.get(key) !== entry) set.close(); // closed by closeSets() meanwhile
        else entry.set = set;
        return set;
      },
      (err) => {
        entry.loading = undefined;
        throw err;
      },
    );
    return entry.loading;
  }

  // -------------------------------------------------------------------
  // Corruptions and the codes each may give.

  corruptSignature(job, sig, strongLength) {
    const { rng } = job;
    const entry = 4 + strongLength;
    const kind = rng.pick(['truncate', 'magic', 'block-too-long', 'zero-block', 'md4-strong-17', 'text']);
    job.plan.corruption = `signature: ${kind}`;
    job.label += ` (corrupt ${job.plan.corruption})`;
    const body = sig.subarray(12);
    switch (kind) {
      case 'truncate': {
        // A cut librsync refuses: inside the header, or 4+ bytes into an entry.
        const blocks = Math.floor(body.length / entry);
        if (blocks === 0 || rng.chance(0.3)) return { bytes: sig.subarray(0, rng.int(12)), codes: ['RS_INPUT_ENDED'] };
        const cut = 12 + rng.int(blocks) * entry + 4 + rng.int(entry - 4);
        return { bytes: sig.subarray(0, cut), codes: ['RS_INPUT_ENDED'] };
      }
      case 'magic':
        return { bytes: Buffer.concat([sigHeader(0x72730148, 256, 16), body]), codes: ['RS_BAD_MAGIC'] };
      case 'block-too-long':
        return { bytes: Buffer.concat([sigHeader(0x72730147, (1 << 24) + 1 + rng.int(1000), 32), body]), codes: ['RS_BLOCK_TOO_LONG'] };
      case 'zero-block':
        return { bytes: Buffer.concat([sigHeader(0x72730147, 0, 32), body]), codes: ['RS_CORRUPT'] };
      case 'md4-strong-17':
        return { bytes: Buffer.concat([sigHeader(0x72730146, 256, 17), body]), codes: ['RS_PARAM_ERROR'] };
      default:
        return { bytes: Buffer.concat([Buffer.from('hello world!'), body]), codes: ['RS_CORRUPT'] };
    }
  }

  corruptDelta(job, delta, basisLength, newLength) {
    const { rng } = job;
    const kinds = ['truncate', 'magic', 'copy-past-end', 'reserved-op', 'flips'];
    if (newLength > 0) kinds.push('limit');
    const kind = rng.pick(kinds);
    job.plan.corruption = `delta: ${kind}`;
    job.label += ` (corrupt ${job.plan.corruption})`;
    const body = delta.subarray(0, delta.length - 1); // without END
    switch (kind) {
      case 'truncate':
        return { bytes: delta.subarray(0, rng.int(delta.length)), codes: ['RS_INPUT_ENDED'] };
      case 'magic': {
        const bytes = Buffer.from(delta);
        bytes[rng.int(4)] ^= 1 + rng.int(255);
        return { bytes, codes: ['RS_BAD_MAGIC'] };
      }
      case 'copy-past-end':
        return { bytes: Buffer.concat([body, copyCmd(basisLength, 1 + rng.int(5000)), END]), codes: ['RS_COPY_OUT_OF_RANGE'] };
      case 'reserved-op':
        return { bytes: Buffer.concat([body, Buffer.from([0x55 + rng.int(0xab)]), END]), codes: ['RS_CORRUPT'] };
      case 'limit':
        return { bytes: delta, codes: ['RS_OUTPUT_LIMIT'], maxOutput: rng.int(newLength) };
      default: {
        // Random bytes changed after the magic: anything may happen but a
        // crash, a hang or an untyped error. maxOutput caps what a mangled
        // COPY length can produce.
        const bytes = Buffer.from(delta);
        for (let i = 0, n = 1 + rng.int(8); i < n && bytes.length > 4; i++) bytes[4 + rng.int(bytes.length - 4)] = rng.int(256);
        const codes = [...DELTA_CODES];
        codes.acceptable = true;
        return { bytes, codes, maxOutput: 2 * newLength + 65536 };
      }
    }
  }

  // -------------------------------------------------------------------
  // The jobs.

  async signatureJob(job) {
    const { rng, backend } = job;
    const c = job.case;
    const ofNew = rng.chance(0.4);
    const data = ofNew ? c.newer : c.basis;
    const expected = ofNew ? c.newSig : c.sig;
    const api = rng.weighted([
      [5, 'stream'],
      [2, 'buffer'],
      [this.noFiles ? 0 : 1.5, 'file'],
    ]);
    job.label += ` ${api}${ofNew ? ' (new file)' : ''}`;
    const p = this.plan(job, api === 'stream', false);
    const options = { ...c.params, backend, signal: this.signalFor(job) };
    if (rng.chance(0.5)) options.size = data.length;
    if (api === 'stream') {
      Object.assign(options, streamOptions(rng, data.length, expected.length));
      return this.settle(
        job,
        () => this.drive(job, lib.signature(options), data, { outputChunk: options.outputChunkSize ?? 256 << 10 }),
        (out) => checkBytes(out, expected, 'signature'),
      );
    }
    const { fire, run } = this.helperRun(job, () => {
      if (api === 'buffer') return lib.signatureBuffer(this.helperInput(job, data, ofNew ? c.paths.newer : c.paths.basis, fire), options);
      const out = this.outputPath(job, 'sig');
      return this.fileHelper(job, out, () => lib.signatureFile(ofNew ? c.paths.newer : c.paths.basis, out, options));
    });
    void p;
    return this.settle(job, run, (out) => checkBytes(out, expected, 'signature'));
  }

  async loadJob(job) {
    const { rng, backend } = job;
    const c = job.case;
    const p = this.plan(job, false, true);
    let bytes = c.sig;
    let codes;
    if (p.mode === 'corrupt') ({ bytes, codes } = this.corruptSignature(job, c.sig, c.strongLength));
    const signal = this.signalFor(job);
    let path = c.paths.sig;
    if (p.mode === 'corrupt') {
      path = this.outputPath(job, 'badsig');
      fs.writeFileSync(path, bytes);
    }
    const { fire, run } = this.helperRun(job, () => lib.loadSignature(this.helperInput(job, bytes, path, fire), { backend, signal }));
    return this.settle(
      job,
      run,
      async (set) => {
        try {
          const want = { backend, magic: c.magic, blockLength: c.params.blockLength, strongLength: c.strongLength, blockCount: c.blockCount };
          const got = { backend: set.backend, magic: set.magic, blockLength: set.blockLength, strongLength: set.strongLength, blockCount: set.blockCount };
          if (JSON.stringify(got) !== JSON.stringify(want)) throw new Failure(`loaded set ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
          if (!c.slack && rng.chance(0.5)) checkBytes(await lib.deltaBuffer(set, c.newer), c.delta, 'delta from the loaded set');
        } finally {
          set.close();
        }
      },
      codes,
    );
  }

  async deltaJob(job) {
    const { rng, backend } = job;
    const c = job.case;
    const api = rng.weighted([
      [5, 'stream'],
      [2, 'buffer'],
      [this.noFiles ? 0 : 1.5, 'file'],
    ]);
    const p = this.plan(job, api === 'stream', api !== 'stream');
    const verify = async (out) => {
      if (!c.slack) return checkBytes(out, c.delta, 'delta');
      // A slack delta's bytes follow the slicing: check that it rebuilds the file.
      return checkBytes(await lib.patchBuffer(c.basis, out, { backend: rng.pick(['native', 'js']) }), c.newer, 'slack delta round trip');
    };
    const signal = this.signalFor(job);
    if (api === 'stream') {
      const set = await this.sharedSet(c, backend);
      if (rng.chance(0.2)) {
        // Another job may close this set meanwhile: then delta() must refuse it, typed.
        await sleep(rng.int(20));
        if (set.closed) {
          try {
            lib.delta(set);
          } catch (err) {
            if (err instanceof LibrsyncError && err.code === 'RS_PARAM_ERROR') return 'refused-closed-set';
            throw new Failure(`delta() on a closed set: ${describeError(err)}`);
          }
          throw new Failure('delta() accepted a closed SignatureSet');
        }
      }
      const options = { ...streamOptions(rng, c.newer.length, c.delta.length), signal };
      if (rng.chance(0.3)) options.backend = backend;
      job.label += ' stream';
      let stream;
      try {
        stream = lib.delta(set, options);
      } catch (err) {
        // Closed by a rotate job in the microtasks since sharedSet() resolved.
        if (set.closed && err instanceof LibrsyncError && err.code === 'RS_PARAM_ERROR') return 'refused-closed-set';
        throw err;
      }
      return this.settle(job, () => this.drive(job, stream, c.newer, { outputChunk: options.outputChunkSize ?? 256 << 10 }), verify);
    }
    job.label += ` ${api}`;
    let sigSource;
    let codes;
    if (p.mode === 'corrupt') {
      const bad = this.corruptSignature(job, c.sig, c.strongLength);
      sigSource = bad.bytes;
      codes = bad.codes;
    } else {
      sigSource = rng.weighted([
        [2, 'set'],
        [1, 'buffer'],
        [this.noFiles ? 0 : 1, 'path'],
      ]);
      if (sigSource === 'set') sigSource = await this.sharedSet(c, backend);
      else sigSource = sigSource === 'buffer' ? c.sig : c.paths.sig;
    }
    const { fire, run } = this.helperRun(job, () => {
      const closedBefore = sigSource instanceof lib.SignatureSet && sigSource.closed;
      const call = () => {
        if (api === 'buffer') return lib.deltaBuffer(sigSource, this.helperInput(job, c.newer, c.paths.newer, fire), { backend, signal });
        const out = this.outputPath(job, 'delta');
        return this.fileHelper(job, out, () => lib.deltaFile(sigSource, c.paths.newer, out, { backend, signal }));
      };
      return call().then(
        (out) => {
          if (closedBefore) throw new Failure('a delta helper accepted a closed SignatureSet');
          return out;
        },
        (err) => {
          // Closed by a rotate job before the helper made its stream: a typed refusal.
          if (sigSource instanceof lib.SignatureSet && sigSource.closed && err instanceof LibrsyncError && err.code === 'RS_PARAM_ERROR') return 'closed';
          throw err;
        },
      );
    });
    return this.settle(job, run, (out) => (out === 'closed' ? undefined : verify(out)), codes);
  }

  async patchJob(job) {
    const { rng, backend } = job;
    const c = job.case;
    const api = rng.weighted([
      [5, 'stream'],
      [2, 'buffer'],
      [this.noFiles ? 0 : 1.5, 'file'],
    ]);
    const p = this.plan(job, api === 'stream', true);
    let delta = c.delta;
    let codes;
    let maxOutput = rng.chance(0.2) ? c.newer.length + rng.int(3) : undefined;
    if (p.mode === 'corrupt') {
      const bad = this.corruptDelta(job, c.delta, c.basis.length, c.newer.length);
      delta = bad.bytes;
      codes = bad.codes;
      maxOutput = bad.maxOutput;
    }
    let deltaPath = c.paths.delta;
    if (p.mode === 'corrupt') {
      deltaPath = this.outputPath(job, 'baddelta');
      fs.writeFileSync(deltaPath, delta);
    }
    const signal = this.signalFor(job);
    const verify = (out) => checkBytes(out, c.newer, 'patch');
    if (api === 'stream') {
      const kind = rng.pick(this.noFiles ? ['buffer', 'fd'] : ['buffer', 'path', 'fd', 'handle']);
      job.label += ` stream, basis ${kind}`;
      let basis = kind === 'buffer' ? c.basis : c.paths.basis;
      let closeEarly;
      if (kind === 'fd') {
        const fd = fs.openSync(c.paths.basis, 'r');
        let open = true;
        closeEarly = () => open && ((open = false), fs.closeSync(fd));
        job.cleanups.push(closeEarly);
        basis = fd;
      } else if (kind === 'handle') {
        const handle = await fs.promises.open(c.paths.basis, 'r');
        let open = true;
        closeEarly = () => open && ((open = false), handle.close());
        job.cleanups.push(closeEarly);
        basis = handle;
      }
      const options = { ...streamOptions(rng, delta.length, c.newer.length), signal, backend };
      if (maxOutput !== undefined) options.maxOutput = maxOutput;
      return this.settle(
        job,
        () => {
          const stream = lib.patch(basis, options);
          // The caller may close its descriptor as soon as patch() returns.
          if (closeEarly && rng.chance(0.5)) closeEarly();
          return this.drive(job, stream, delta, { outputChunk: options.outputChunkSize ?? 1 << 20 });
        },
        verify,
        codes,
      );
    }
    job.label += ` ${api}`;
    const options = { backend, signal };
    if (maxOutput !== undefined) options.maxOutput = maxOutput;
    const { fire, run } = this.helperRun(job, () => {
      if (api === 'buffer') return lib.patchBuffer(rng.chance(0.5) || this.noFiles ? c.basis : c.paths.basis, this.helperInput(job, delta, deltaPath, fire), options);
      const out = this.outputPath(job, 'out');
      return this.fileHelper(job, out, () => lib.patchFile(c.paths.basis, deltaPath, out, options));
    });
    return this.settle(job, run, verify, codes);
  }

  async compareJob(job) {
    const { rng } = job;
    const c = job.case;
    const p = this.plan(job, false, true);
    c.comparison ??= comparisonSummary(await lib.compareSignatures(c.sig, c.newSig));
    let oldSig = c.sig;
    let newSig = c.newSig;
    let codes;
    if (p.mode === 'corrupt') {
      if (rng.chance(0.3)) {
        newSig = c.altSig;
        codes = ['RS_SIGNATURE_MISMATCH'];
        p.corruption = 'block lengths differ';
        job.label += ' (corrupt: block lengths differ)';
      } else {
        const bad = this.corruptSignature(job, c.sig, c.strongLength);
        codes = bad.codes;
        if (rng.chance(0.5)) oldSig = bad.bytes;
        else newSig = bad.bytes;
      }
    }
    const signal = this.signalFor(job);
    const input = (bytes, path) => (bytes === c.sig || bytes === c.newSig ? this.helperInput(job, bytes, path, fire) : bytes);
    const { fire, run } = this.helperRun(job, () => lib.compareSignatures(input(oldSig, c.paths.sig), input(newSig, c.paths.newSig), { signal }));
    return this.settle(
      job,
      run,
      (result) => {
        const got = comparisonSummary(result);
        if (got !== c.comparison) throw new Failure(`comparison ${got}, expected ${c.comparison}`);
      },
      codes,
    );
  }

  /** Random sizes: a signature, delta and patch each on a random backend, checked against each other. */
  async roundTripJob(job) {
    const { rng } = job;
    job.plan = { mode: 'none' };
    const size = rng.weighted([
      [1, 0],
      [2, rng.range(1, 100)],
      [3, rng.range(100, 64 << 10)],
      [3, rng.range(64 << 10, 2 << 20)],
    ]);
    const basis = randomData(size, rng.int(2 ** 32));
    const newer = edited(basis, rng.int(2 ** 32), rng.int(8));
    const params = {
      blockLength: rng.pick([1, 16, 100, 512, 2048, 8192, rng.range(1, 5000)]),
      hash: rng.pick(['md4', 'blake2']),
      rollsum: rng.pick(['rollsum', 'rabinkarp']),
    };
    // Tiny blocks on small inputs only: 1-byte blocks make a signature 20-36
    // times its input and a step per match, and such a job of 20 KB took 45 s
    // under the soak's load.
    if (params.blockLength < 64 && size > 8 << 10) params.blockLength = 512;
    job.label += ` ${size} bytes, ${JSON.stringify(params)}`;
    const [b1, b2, b3] = [rng.pick(['native', 'js']), rng.pick(['native', 'js']), rng.pick(['native', 'js'])];
    const sigLength = 12 + Math.ceil(size / params.blockLength) * (4 + (params.hash === 'md4' ? 16 : 32));
    const sigOptions = { ...params, ...streamOptions(rng, size, sigLength) };
    const sig = await this.drive(job, lib.signature({ ...sigOptions, backend: b1 }), basis, { outputChunk: sigOptions.outputChunkSize ?? 256 << 10 });
    checkBytes(sig, await lib.signatureBuffer(basis, { ...params, backend: b1 === 'native' ? 'js' : 'native' }), 'signature against the other backend');
    const set = await lib.loadSignature(chunkedSource(sig, rng, chunkLimit(rng, sig.length)), { backend: b2 });
    let delta;
    try {
      const deltaOptions = streamOptions(rng, newer.length, newer.length);
      delta = await this.drive(job, lib.delta(set, deltaOptions), newer, { outputChunk: deltaOptions.outputChunkSize ?? 256 << 10 });
      if (size > 0) checkBytes(delta, await lib.deltaBuffer(sig, newer, { backend: b2 === 'native' ? 'js' : 'native' }), 'delta against the other backend');
    } finally {
      set.close();
    }
    const patchOptions = streamOptions(rng, delta.length, newer.length);
    const out = await this.drive(job, lib.patch(basis, { ...patchOptions, backend: b3 }), delta, { outputChunk: patchOptions.outputChunkSize ?? 1 << 20 });
    checkBytes(out, newer, 'round trip');
    return 'ok';
  }

  /** A patch that expands 16-fold, with a slow or stalling consumer. */
  async bombJob(job) {
    const { rng, backend } = job;
    const c = this.cases[this.bomb.caseId];
    job.label = job.label.replace(/case ".*"/, 'bomb');
    const p = this.plan(job, true, true);
    const options = { ...streamOptions(rng, this.bomb.delta.length, 1 << 20), signal: this.signalFor(job), backend };
    if (options.outputChunkSize !== undefined) options.outputChunkSize = Math.max(options.outputChunkSize, 64 << 10);
    let codes;
    if (p.mode === 'corrupt') {
      p.corruption = 'maxOutput below the output';
      job.label += ' (maxOutput below the output)';
      options.maxOutput = rng.int(this.bomb.outLength);
      codes = ['RS_OUTPUT_LIMIT'];
    }
    const basis = rng.chance(0.5) || this.noFiles ? c.basis : c.paths.basis;
    return this.settle(
      job,
      () => this.drive(job, lib.patch(basis, options), this.bomb.delta, { hashOnly: true, outputChunk: options.outputChunkSize ?? 1 << 20 }),
      (out) => {
        if (out.length !== this.bomb.outLength || out.hash !== this.bomb.outHash) throw new Failure(`bomb output differs: ${out.length} bytes`);
      },
      codes,
    );
  }

  /** Closes a shared set, usually while deltas of other lanes use it. */
  async rotateJob(job) {
    job.plan = { mode: 'none' };
    const entry = this.sets.get(`${job.case.id}/${job.backend}`);
    if (!entry || !entry.set) return 'nothing';
    entry.set.close();
    entry.set = undefined;
    return 'closed';
  }

  /** Calls that must be refused at once with RS_PARAM_ERROR, and a set closed right after delta(). */
  async misuseJob(job) {
    const { rng, backend } = job;
    const c = job.case;
    job.plan = { mode: 'none' };
    const other = backend === 'native' ? 'js' : 'native';
    const refused = (what, fn) => {
      try {
        fn();
      } catch (err) {
        if (err instanceof LibrsyncError && err.code === 'RS_PARAM_ERROR') return;
        throw new Failure(`${what}: expected RS_PARAM_ERROR, got ${describeError(err)}`);
      }
      throw new Failure(`${what} was accepted`);
    };
    const set = await lib.loadSignature(c.sig, { backend });
    refused('delta() on the other backend', () => lib.delta(set, { backend: other }));
    refused('a negative maxOutput', () => lib.patch(c.basis, { maxOutput: -1, backend }));
    refused('inputChunkSize 0', () => lib.signature({ inputChunkSize: 0, backend }));
    const streams = Array.from({ length: 1 + rng.int(3) }, () => lib.delta(set));
    set.close(); // e.g. `using set = ...` ending right after the streams were made
    refused('delta() on a closed set', () => lib.delta(set));
    const outs = await Promise.all(streams.map((s) => this.drive(job, s, c.newer, { outputChunk: 256 << 10 })));
    if (!c.slack) outs.forEach((out) => checkBytes(out, c.delta, 'delta on a set closed after delta()'));
    return 'ok';
  }
}

// ---------------------------------------------------------------------
// Worker threads.

if (!isMainThread) {
  const { corpus, seed, lanes, jobTimeoutMs, scratch, name, backends, noFiles } = workerData;
  const soak = new Soak({ corpus: reviveCorpus(corpus), seed, thread: name, jobTimeoutMs, scratch, backends, noFiles });
  process.on('uncaughtException', (err) => soak.fail(undefined, 'uncaught exception in a worker thread', err));
  process.on('unhandledRejection', (err) => soak.fail(undefined, 'unhandled rejection in a worker thread', err));
  process.on('warning', (w) => soak.fail(undefined, `process warning in a worker thread: ${w.name}`, w));
  parentPort.once('message', () => {
    soak.stopping = true;
  });
  parentPort.postMessage({ type: 'started' });
  soak.run(lanes, Infinity).then(() => {
    soak.closeSets();
    if (soak.idleListeners() > 0) soak.fail(undefined, `${soak.idleListeners()} abort listeners left on a signal after every job ended`);
    parentPort.postMessage({ type: 'report', counts: soak.counts, failures: soak.failures, jobs: soak.nextJob, jobMs: soak.jobMs, slowest: soak.slowest });
    // Nothing should keep this thread alive now; if something does, say what.
    setTimeout(() => parentPort.postMessage({ type: 'still-alive', resources: process.getActiveResourcesInfo() }), 3000).unref();
  });
}

/**
 * Keeps `slots` worker threads busy until `deadline`: each is either
 * terminated at a random moment mid-job (and replaced) or, at the
 * deadline, asked to stop, and must then report and exit by itself.
 */
async function superviseWorkers(main, corpus, config, phase, deadline, stats) {
  const rng = new Rng(mix(config.seed, 0xabc, phase));
  const runOne = async (slot, generation) => {
    const name = `w${phase}.${slot}.${generation}`;
    const terminateAt = rng.chance(config.terminateRate) ? Date.now() + rng.range(50, 2500) : Infinity;
    const worker = new Worker(__filename, {
      workerData: {
        corpus,
        seed: mix(config.seed, phase, slot, generation),
        lanes: config.workerJobs,
        jobTimeoutMs: config.jobTimeoutMs,
        scratch: main.scratch,
        name,
        dist: DIST,
        backends: config.backends,
        noFiles: terminateAt !== Infinity, // see Soak.noFiles
      },
    });
    stats.spawned++;
    let report;
    let started = false;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (m) => {
      if (m.type === 'started') started = true;
      if (m.type === 'report') report = m;
      if (m.type === 'still-alive') main.fail(undefined, `worker ${name} still alive 3 s after its report, holding ${m.resources.join(', ')}`);
    });
    worker.on('error', (err) => main.fail(undefined, `worker ${name} emitted 'error'`, err));
    const until = Math.min(terminateAt, deadline);
    const code = await within(exited, Math.max(0, until - Date.now()), undefined);
    if (code !== undefined) {
      main.fail(undefined, `worker ${name} exited by itself with code ${code} before it was asked to`);
      return;
    }
    if (terminateAt <= deadline) {
      const exitCode = await worker.terminate();
      stats.terminated++;
      if (started) stats.terminatedStarted++;
      // 1 once the worker runs; 0 if terminate() came before it started (Node's way).
      if (exitCode !== (started ? 1 : exitCode === 0 ? 0 : 1)) main.fail(undefined, `terminated worker ${name} exited with ${exitCode}`);
      // A thread killed mid-job cannot clean up (no more than a process
      // killed with SIGKILL): its outputs and temporary files stay. Counted, then removed.
      const dir = join(main.scratch, `out-${name}`);
      stats.killedLeftovers += fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    worker.postMessage('stop');
    const stopped = await within(exited, config.jobTimeoutMs + 15_000, 'timeout');
    if (stopped === 'timeout') {
      main.fail(undefined, `worker ${name} did not exit after it was asked to stop (report ${report ? 'sent' : 'not sent'})`);
      await worker.terminate();
      return;
    }
    stats.stopped++;
    if (stopped !== 0) main.fail(undefined, `worker ${name} exited with code ${stopped}`);
    if (!report) {
      main.fail(undefined, `worker ${name} exited without its report`);
      return;
    }
    stats.jobs += report.jobs;
    for (const [k, v] of Object.entries(report.counts)) stats.counts[k] = (stats.counts[k] ?? 0) + v;
    for (const f of report.failures) main.failures.push(f);
    stats.jobMs.push(...report.jobMs);
    stats.slowest.push(...report.slowest);
  };
  await Promise.all(
    Array.from({ length: config.workers }, async (_, slot) => {
      for (let generation = 0; Date.now() < deadline; generation++) await runOne(slot, generation);
    }),
  );
}

/**
 * tmpfs when there is one: the soak is about concurrency, not disks, and
 * every file helper fsyncs its output on the thread pool the native steps
 * share (on a busy shared disk, fsyncs of 100 ms and more held them up).
 */
function scratchRoot() {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

async function quiesce(soak) {
  soak.closeSets();
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(100);
  }
  const m = process.memoryUsage();
  const MiB = (n) => Math.round((n / 1048576) * 10) / 10;
  return {
    rssMiB: MiB(m.rss),
    heapUsedMiB: MiB(m.heapUsed),
    heapTotalMiB: MiB(m.heapTotal),
    externalMiB: MiB(m.external),
    arrayBuffersMiB: MiB(m.arrayBuffers),
    fds: fdCount(),
    fdTargets: fdTargets(),
    abortListeners: soak.idleListeners(),
    resources: process.getActiveResourcesInfo().sort().join(','),
  };
}

function percentile(values, q) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const overrides = process.argv[2] ? JSON.parse(process.argv[2]) : {};
  const config = { ...DEFAULTS, ...overrides };
  if (config.seed === undefined || config.seed === null) config.seed = randomBytes(4).readUInt32BE(0);
  config.seed >>>= 0;
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const started = Date.now();
  const scratch = fs.mkdtempSync(join(scratchRoot(), 'librsync-soak-'));
  const soak = new Soak({ corpus: { cases: [], bomb: {} }, seed: config.seed, thread: 'main', jobTimeoutMs: config.jobTimeoutMs, scratch, backends: config.backends });
  soak.scratch = scratch;
  process.on('uncaughtException', (err) => soak.fail(undefined, 'uncaught exception', err));
  process.on('unhandledRejection', (err) => soak.fail(undefined, 'unhandled rejection', err));
  process.on('warning', (w) => soak.fail(undefined, `process warning: ${w.name}`, w));
  const report = { seed: config.seed, config, failures: soak.failures };
  try {
    const corpus = makeCorpus(scratch, config.seed);
    soak.cases = corpus.cases;
    soak.bomb = corpus.bomb;
    // Start what the library starts once per process (the js backend's
    // hashing worker: batches from 256 KiB) before anything is measured.
    const prime = randomData(1 << 20, config.seed);
    for (const backend of ['native', 'js']) await lib.signatureBuffer(prime, { backend });
    report.setupMs = Date.now() - started;
    if (config.replay !== undefined) {
      // One job again, alone on this thread: {"seed": S, "replay": JOBSEED, ...}
      soak.jobSeedOverride = config.replay >>> 0;
      await soak.runOne(0);
      report.counts = soak.counts;
    } else await phases(soak, corpus, config, report);
  } catch (err) {
    soak.fail(undefined, 'the soak itself failed', err);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  report.failuresDropped = soak.failuresDropped ?? 0;
  report.totalMs = Date.now() - started;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * The two stages, one after the other in this process:
 * - threads: main-thread lanes and worker threads (stopped, or
 *   terminated mid-job) together;
 * - memory: main-thread lanes alone, for a tight RSS bound (worker
 *   isolates coming and going make RSS climb for minutes before it levels
 *   off; see test/soak-streams.test.ts).
 * Each stage is cut into phases with a quiet point (no job, no set, no
 * worker) after each, where RSS and descriptors are measured.
 */
async function phases(soak, corpus, config, report) {
  const workerStats = { spawned: 0, terminated: 0, terminatedStarted: 0, stopped: 0, killedLeftovers: 0, jobs: 0, counts: {}, jobMs: [], slowest: [] };
  let maxRss = 0;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 250);
  report.start = await quiesce(soak);
  report.stages = {};
  const stages = [
    ['threads', config.seconds * config.threadShare, config.workers, config.threadPhases],
    ['memory', config.seconds * (1 - config.threadShare), 0, config.memoryPhases],
  ];
  let phaseNumber = 0;
  for (const [name, seconds, workers, count] of stages) {
    const stage = (report.stages[name] = { seconds, phases: [] });
    if (seconds <= 0 || count <= 0) continue;
    for (let i = 0; i < count; i++, phaseNumber++) {
      const t0 = Date.now();
      const deadline = t0 + (seconds * 1000) / count;
      await Promise.all([soak.run(config.jobs, deadline), workers > 0 ? superviseWorkers(soak, corpus, { ...config, workers }, phaseNumber, deadline, workerStats) : null]);
      const drained = Date.now();
      const sample = await quiesce(soak);
      stage.phases.push({ ms: drained - t0, drainMs: drained - deadline, jobsSoFar: soak.nextJob, workerJobsSoFar: workerStats.jobs, ...sample });
    }
  }
  clearInterval(sampler);
  report.maxRssMiB = Math.round(maxRss / 104857.6) / 10;
  report.jobs = soak.nextJob;
  report.counts = soak.counts;
  report.workers = { ...workerStats, jobMs: undefined };
  report.jobMs = { p50: percentile(soak.jobMs, 0.5), p99: percentile(soak.jobMs, 0.99), max: percentile(soak.jobMs, 1) };
  report.workerJobMs = { p50: percentile(workerStats.jobMs, 0.5), p99: percentile(workerStats.jobMs, 0.99), max: percentile(workerStats.jobMs, 1) };
  report.slowest = [...soak.slowest, ...workerStats.slowest].sort((a, b) => b.ms - a.ms).slice(0, 5);
  // Every file helper removed its temporary file; every job its output.
  report.leftovers = fs
    .readdirSync(soak.scratch)
    .filter((n) => n.startsWith('out-'))
    .flatMap((d) => fs.readdirSync(join(soak.scratch, d)).map((n) => `${d}/${n}`));
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(2);
  });
}

module.exports = { Rng, mix };
