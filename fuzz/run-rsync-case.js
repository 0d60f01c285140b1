'use strict';
// Runs one loadsig / delta / signature / patch case through both backends
// (in the worker process) and reports what each did: success with its
// output, or the error's class, code and message. Judging is the parent's
// job (see oracle.js); this file only observes.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { writeFileSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');

const lib = require('../dist/index.js');

const BACKENDS = ['native', 'js'];
/** Outputs above this are compared by digest only (the parent does not need the bytes). */
const KEEP_OUTPUT = 1 << 16;

function describeError(err) {
  return {
    librsync: err instanceof lib.LibrsyncError,
    name: err && err.name,
    code: err && typeof err.code === 'string' ? err.code : undefined,
    result: err && err.result,
    message: String(err && err.message).slice(0, 500),
  };
}

function summarize(out) {
  return { length: out.length, sha256: createHash('sha256').update(out).digest('hex'), bytes: out.length <= KEEP_OUTPUT ? out : undefined };
}

function chunked(bytes, sizes) {
  const parts = [];
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes && sizes.length ? sizes[i % sizes.length] : bytes.length);
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts);
}

async function collect(source, transform) {
  const parts = [];
  await pipeline(source, transform, new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }));
  return Buffer.concat(parts);
}

async function outcome(fn) {
  try {
    return { ok: true, ...(await fn()) };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

function setInfo(set) {
  return { magic: set.magic, blockLength: set.blockLength, strongLength: set.strongLength, blockCount: set.blockCount };
}

/** compareSignatures of the input with itself: must fail exactly as loading it does, or match every block. */
async function selfCompare(c) {
  return outcome(async () => {
    const r = await lib.compareSignatures(chunked(c.sig, c.chunks), chunked(c.sig, c.chunks));
    return { info: { blockLength: r.blockLength, strongLength: r.strongLength, oldBlocks: r.oldBlocks, newBlocks: r.newBlocks, matchedBlocks: r.matchedBlocks } };
  });
}

/** compareSignatures of the unmutated seed with the input: comparable only when magic and block length match. */
async function seedCompare(c) {
  return outcome(async () => {
    const r = await lib.compareSignatures(c.original, chunked(c.sig, c.chunks));
    return { info: { magic: r.magic, blockLength: r.blockLength, newBlocks: r.newBlocks } };
  });
}

async function loadsig(c, backend) {
  return outcome(async () => {
    const set = await lib.loadSignature(chunked(c.sig, c.chunks), { backend });
    try {
      return { info: setInfo(set) };
    } finally {
      set.close();
    }
  });
}

async function deltaCase(c, backend) {
  let set;
  const loaded = await outcome(async () => {
    set = await lib.loadSignature(chunked(c.sig, c.chunks), { backend });
    return { info: setInfo(set) };
  });
  if (!loaded.ok) return { ...loaded, stage: 'loadsig' };
  try {
    const out = await outcome(async () => summarize(await collect(chunked(c.data, c.dataChunks), lib.delta(set, c.streamOptions))));
    // A delta must be well-formed: patching it onto any basis as long as the blocks succeeds.
    if (out.ok && out.bytes && set.blockCount * set.blockLength <= 1 << 22) {
      const basis = Buffer.alloc(set.blockCount * set.blockLength);
      out.selfPatch = await outcome(async () => summarize(await lib.patchBuffer(basis, out.bytes, { backend })));
      delete out.selfPatch.bytes;
    }
    return { ...out, info: loaded.info, stage: 'delta' };
  } finally {
    set.close();
  }
}

async function signatureCase(c, backend) {
  return outcome(async () => {
    const out = await collect(chunked(c.data, c.dataChunks), lib.signature({ ...c.params, ...c.streamOptions, backend }));
    // What we write we must read back.
    const back = await outcome(async () => {
      const set = await lib.loadSignature(out, { backend });
      set.close();
      return setInfo(set);
    });
    return { ...summarize(out), readBack: back };
  });
}

async function patchCase(c, backend, scratch) {
  return outcome(async () => {
    let basis = c.basis;
    if (c.basisAsFile) {
      basis = join(scratch, `basis-${backend}`);
      writeFileSync(basis, c.basis);
    }
    const out = await collect(chunked(c.delta, c.chunks), lib.patch(basis, { ...c.streamOptions, maxOutput: c.maxOutput, backend }));
    return summarize(out);
  });
}

/** rdiff's exit status (and output) on the same input, for a sample of cases. */
function rdiffRun(c, scratch) {
  const f = (name, bytes) => {
    const p = join(scratch, name);
    writeFileSync(p, bytes);
    return p;
  };
  const out = join(scratch, 'rdiff-out');
  let args;
  if (c.target === 'loadsig') args = ['-f', 'delta', f('sig', c.sig), '/dev/null', out];
  else if (c.kind === 'delta') args = ['-f', 'delta', f('sig', c.sig), f('new', c.data), out];
  else if (c.kind === 'signature') {
    const p = c.params;
    args = ['-f', '-H', p.hash, '-R', p.rollsum, '-b', String(p.blockLength), '-S', String(p.strongLength), 'signature', f('data', c.data), out];
  } else args = ['-f', 'patch', f('basis', c.basis), f('delta', c.delta), out];
  const r = spawnSync('rdiff', args, { timeout: 20000, maxBuffer: 1 << 20 });
  let output;
  try {
    output = r.status === 0 ? summarize(readFileSync(out)) : undefined;
  } catch {
    output = undefined;
  }
  return { status: r.status, signal: r.signal, output, args: args.map((a) => (a.startsWith(scratch) ? a.slice(scratch.length + 1) : a)) };
}

async function runRsyncCase(c, scratch) {
  const result = { backends: {} };
  for (const backend of BACKENDS) {
    if (c.target === 'loadsig') result.backends[backend] = await loadsig(c, backend);
    else if (c.target === 'delta' && c.kind === 'signature') result.backends[backend] = await signatureCase(c, backend);
    else if (c.target === 'delta') result.backends[backend] = await deltaCase(c, backend);
    else result.backends[backend] = await patchCase(c, backend, scratch);
  }
  if (c.target === 'loadsig') {
    result.compare = await selfCompare(c);
    result.seedCompare = await seedCompare(c);
  }
  if (c.rdiff) {
    // Not where README says we are stricter than rdiff: block lengths above
    // 16 MiB (rdiff may try to allocate them), a COPY past the basis, a
    // patch over maxOutput (rdiff would write all of a bomb).
    const stricter = Object.values(result.backends).some((o) => !o.ok && ['RS_BLOCK_TOO_LONG', 'RS_OUTPUT_LIMIT', 'RS_COPY_OUT_OF_RANGE'].includes(o.error.code));
    if (!stricter) result.rdiff = rdiffRun(c, scratch);
  }
  return result;
}

module.exports = { runRsyncCase, BACKENDS };
