'use strict';
// Draws one case for the loadsig, delta or patch target from the seed
// corpus and the case's own generator: which seed, which mutations, how
// the input is sliced (so steps see fields split across chunks), stream
// buffer sizes, maxOutput, and whether rdiff is asked too.
const { createHash } = require('node:crypto');
const { mutateSignature } = require('./signature-mutations');
const { mutateDelta } = require('./delta-mutations');
const { editedFrom, BLOCK_LENGTHS } = require('./rsync-seeds');

const RDIFF_SHARE = 0.03;

/** Chunk sizes for feeding an input: one piece, bytes, or a mix. */
function slicing(rng, length) {
  if (rng.chance(0.5)) return [];
  if (length <= 4096 && rng.chance(0.3)) return [1];
  return Array.from({ length: 1 + rng.below(5) }, () => 1 + rng.skewed(Math.max(1, length)));
}

/**
 * Stream step and buffer sizes: small ones only for small inputs and
 * outputs (each step is a thread-pool hop: a 4 MiB patch through 3-byte
 * buffers is a million steps, 25 s native).
 */
function streamOptions(rng, inLength, outLength = inLength) {
  const o = {};
  if (rng.chance(0.4)) o.inputChunkSize = inLength <= 4096 ? 1 + rng.skewed(4096) : 512 + rng.skewed(1 << 16);
  if (rng.chance(0.3)) o.outputChunkSize = outLength <= 4096 ? 1 + rng.skewed(4096) : 512 + rng.skewed(1 << 16);
  return o;
}

function loadsigCase(rng, seeds) {
  const seed = rng.pick(seeds.signatures);
  const donor = rng.pick(seeds.signatures).bytes;
  const m = rng.chance(0.9) ? mutateSignature(rng, seed.bytes, donor) : { bytes: seed.bytes, what: 'valid seed' };
  return { target: 'loadsig', sig: m.bytes, original: seed.bytes, chunks: slicing(rng, m.bytes.length), rdiff: seeds.rdiff && rng.chance(RDIFF_SHARE), what: m.what };
}

function deltaCase(rng, seeds) {
  if (rng.chance(0.25)) {
    const data = rng.chance(0.5) ? rng.pick(seeds.bases) : rng.bytes(rng.skewed(20000));
    const hash = rng.pick(['md4', 'blake2']);
    const max = hash === 'md4' ? 16 : 32;
    const params = { hash, rollsum: rng.pick(['rollsum', 'rabinkarp']), blockLength: rng.chance(0.2) ? 0 : rng.pick(BLOCK_LENGTHS.filter((b) => data.length / b <= 4000)), strongLength: rng.pick([0, -1, 1, 2, rng.range(1, max), max]), size: data.length };
    return { target: 'delta', kind: 'signature', data, params, dataChunks: slicing(rng, data.length), streamOptions: streamOptions(rng, data.length, 12 + data.length * 36), rdiff: seeds.rdiff && rng.chance(RDIFF_SHARE), what: `signature ${JSON.stringify(params)} of ${data.length} bytes` };
  }
  const seed = rng.pick(seeds.signatures);
  const donor = rng.pick(seeds.signatures).bytes;
  const m = rng.chance(0.6) ? mutateSignature(rng, seed.bytes, donor) : { bytes: seed.bytes, what: 'valid signature' };
  const data = rng.chance(0.8) ? editedFrom(rng, seeds.bases[seed.basisIndex]) : rng.bytes(rng.skewed(30000));
  return {
    target: 'delta',
    kind: 'delta',
    sig: m.bytes,
    chunks: slicing(rng, m.bytes.length),
    data,
    dataSha256: createHash('sha256').update(data).digest('hex'),
    dataChunks: slicing(rng, data.length),
    streamOptions: streamOptions(rng, data.length),
    rdiff: seeds.rdiff && rng.chance(RDIFF_SHARE),
    what: `${m.what}; ${data.length} bytes of new data`,
  };
}

function patchCase(rng, seeds) {
  const seed = rng.pick(seeds.deltas);
  const basis = rng.chance(0.9) ? seeds.bases[seed.basisIndex] : rng.pick(seeds.bases);
  const donor = rng.pick(seeds.deltas).bytes;
  const m = rng.chance(0.85) ? mutateDelta(rng, seed.bytes, basis.length, donor) : { bytes: seed.bytes, what: 'valid delta' };
  // No limit only where the worst output (every 3 bytes a COPY of the whole basis) is small.
  const worst = m.bytes.length + Math.ceil(m.bytes.length / 3) * basis.length;
  const maxOutput = worst <= 64 << 20 && rng.chance(0.1) ? undefined : rng.chance(0.5) ? 4 << 20 : rng.pick([0, 1, basis.length, basis.length + 1, 1 << 16, rng.skewed(1 << 20)]);
  return {
    target: 'patch',
    delta: m.bytes,
    basis,
    basisAsFile: rng.chance(0.15),
    maxOutput,
    chunks: slicing(rng, m.bytes.length),
    streamOptions: streamOptions(rng, m.bytes.length, Math.min(worst, maxOutput ?? worst)),
    rdiff: seeds.rdiff && rng.chance(RDIFF_SHARE),
    what: `${m.what}; basis ${basis.length} bytes; maxOutput ${maxOutput}`,
  };
}

module.exports = { loadsigCase, deltaCase, patchCase };
