'use strict';
// The valid inputs mutations start from: bases of several shapes, their
// signatures for every magic (md4/blake2 x rollsum/rabinkarp) with block
// lengths down to 1 byte and several strong lengths, deltas made by the
// library and by rdiff, and hand-built deltas that use every LITERAL and
// COPY opcode width. Built from a fixed seed: the corpus is the same for
// every run, only the mutations depend on --seed.
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Rng } = require('./rng');
const { SIGNATURE_MAGICS, WIDTHS, copy, delta, literal } = require('./rsync-format');

const BLOCK_LENGTHS = [1, 2, 3, 5, 16, 64, 100, 256, 1024, 2048];
const STRONG_LENGTHS = [0, 1, 4, 8, -2]; // -2: the hash's maximum, written out
const MAX_BLOCKS = 1500;

function magicParams(magic) {
  return { hash: (magic & 0x0f) === 6 ? 'md4' : 'blake2', rollsum: (magic & 0xf0) === 0x30 ? 'rollsum' : 'rabinkarp' };
}

function makeBases(rng) {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(120));
  const repeated = Buffer.concat(Array(40).fill(rng.bytes(97)));
  return [
    Buffer.alloc(0),
    rng.bytes(1),
    rng.bytes(100),
    rng.bytes(1000),
    rng.bytes(5000),
    text,
    repeated,
    Buffer.alloc(4096),
    rng.bytes(20000),
  ];
}

/** New-file data derived from a basis: insertions, deletions, duplications, or nothing in common. */
function editedFrom(rng, basis) {
  if (basis.length === 0 || rng.chance(0.1)) return rng.bytes(rng.skewed(6000));
  // Now and then past 256 KiB, so the js delta's per-step budgets come into play.
  const copies = rng.chance(0.03) ? Math.ceil(300000 / basis.length) : 1;
  let out = Buffer.concat(Array(copies).fill(basis));
  const edits = rng.skewed(8);
  for (let i = 0; i < edits; i++) {
    const at = rng.below(out.length + 1);
    const n = 1 + rng.skewed(300);
    const kind = rng.below(4);
    if (kind === 0) out = Buffer.concat([out.subarray(0, at), rng.bytes(n), out.subarray(at)]);
    else if (kind === 1) out = Buffer.concat([out.subarray(0, at), out.subarray(at + n)]);
    else if (kind === 2) out = Buffer.concat([out.subarray(0, at), out.subarray(rng.below(out.length + 1)).subarray(0, n), out.subarray(at)]);
    else rng.bytes(Math.min(n, out.length - at)).copy(out, at);
  }
  return out;
}

/** A delta that reaches every opcode width: immediate and 1/2/4/8-byte LITERALs, all sixteen COPY forms. */
function everyWidthDelta(rng, basis) {
  const commands = [literal(rng.bytes(1 + rng.below(64)))];
  for (const w of [1, 2, 4, 8]) commands.push(literal(rng.bytes(1 + rng.below(w === 1 ? 255 : 300)), w));
  if (basis.length > 0) {
    for (const ow of WIDTHS) {
      for (const lw of WIDTHS) {
        const offset = rng.below(basis.length);
        const length = 1 + rng.below(Math.min(255, basis.length - offset));
        commands.push(copy(offset, length, ow, lw));
      }
    }
    commands.push(copy(0, basis.length, 4, 4));
  }
  return delta(commands);
}

function rdiffAvailable() {
  try {
    execFileSync('rdiff', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** rdiff's own signature and delta of a pair, for seeds the library did not write. */
function rdiffPair(dir, basis, data, magic, blockLength) {
  const b = join(dir, 'basis');
  const n = join(dir, 'new');
  writeFileSync(b, basis);
  writeFileSync(n, data);
  const { hash, rollsum } = magicParams(magic);
  execFileSync('rdiff', ['-f', '-H', hash, '-R', rollsum, '-b', String(blockLength), 'signature', b, join(dir, 'sig')]);
  execFileSync('rdiff', ['-f', 'delta', join(dir, 'sig'), n, join(dir, 'delta')]);
  return { signature: readFileSync(join(dir, 'sig')), delta: readFileSync(join(dir, 'delta')) };
}

async function buildRsyncSeeds(lib, backend) {
  const rng = new Rng(0x5eed);
  const bases = makeBases(rng);
  const signatures = [];
  for (const magic of SIGNATURE_MAGICS) {
    for (const blockLength of BLOCK_LENGTHS) {
      for (const strong of STRONG_LENGTHS) {
        const fits = bases.map((b, i) => i).filter((i) => bases[i].length / blockLength <= MAX_BLOCKS);
        const basisIndex = rng.pick(fits);
        const strongLength = strong === -2 ? ((magic & 0x0f) === 6 ? 16 : 32) : strong;
        const bytes = await lib.signatureBuffer(bases[basisIndex], { ...magicParams(magic), blockLength, strongLength, backend });
        signatures.push({ bytes, basisIndex, magic, blockLength });
      }
    }
  }
  const deltas = [];
  for (let i = 0; i < 120; i++) {
    const sig = rng.pick(signatures);
    const data = editedFrom(rng, bases[sig.basisIndex]);
    const set = await lib.loadSignature(sig.bytes, { backend });
    deltas.push({ bytes: await lib.deltaBuffer(set, data), basisIndex: sig.basisIndex });
    set.close();
  }
  for (let i = 0; i < bases.length; i++) for (let k = 0; k < 3; k++) deltas.push({ bytes: everyWidthDelta(rng, bases[i]), basisIndex: i });

  let rdiff = false;
  if (rdiffAvailable()) {
    rdiff = true;
    const dir = mkdtempSync(join(tmpdir(), 'librsync-fuzz-seeds-'));
    try {
      for (let i = 0; i < 24; i++) {
        const basisIndex = 1 + rng.below(bases.length - 1);
        const magic = rng.pick(SIGNATURE_MAGICS);
        const blockLength = rng.pick(BLOCK_LENGTHS.filter((b) => bases[basisIndex].length / b <= MAX_BLOCKS));
        const pair = rdiffPair(dir, bases[basisIndex], editedFrom(rng, bases[basisIndex]), magic, blockLength);
        signatures.push({ bytes: pair.signature, basisIndex, magic, blockLength });
        deltas.push({ bytes: pair.delta, basisIndex });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { bases, signatures, deltas, rdiff };
}

module.exports = { buildRsyncSeeds, editedFrom, magicParams, BLOCK_LENGTHS };
