'use strict';
// Mutations aimed at the signature format: header fields set to values on
// the edges librsync and our limits check, cuts at header and entry
// boundaries, stray trailing bytes and repeated or dropped entries.
const { SIGNATURE_MAGICS, DELTA_MAGIC, signatureLayout, u32 } = require('./rsync-format');
const { mutateBytes } = require('./byte-mutations');

const MAGICS = [...SIGNATURE_MAGICS, DELTA_MAGIC, 0, 0x72730148, 0x72730100, 0x78780147, 0xffffffff];
const BLOCK_LENGTHS = [0, 1, 2, 3, 255, 256, 2048, (1 << 24) - 1, 1 << 24, (1 << 24) + 1, 0x7fffffff, 0x80000000, 0xffffffff];
const STRONG_LENGTHS = [0, 1, 2, 8, 15, 16, 17, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff];

function setField(input, at, value) {
  const header = Buffer.alloc(Math.max(12, input.length));
  input.copy(header);
  u32(value).copy(header, at);
  return header.subarray(0, Math.max(input.length, at + 4));
}

const mutations = {
  magic(rng, input) {
    const v = rng.chance(0.8) ? rng.pick(MAGICS) : rng.u32();
    return { out: setField(input, 0, v), what: `magic 0x${v.toString(16)}` };
  },
  blockLength(rng, input) {
    const v = rng.chance(0.8) ? rng.pick(BLOCK_LENGTHS) : rng.u32();
    return { out: setField(input, 4, v), what: `block length ${v}` };
  },
  strongLength(rng, input) {
    const v = rng.chance(0.8) ? rng.pick(STRONG_LENGTHS) : rng.below(40);
    return { out: setField(input, 8, v), what: `strong length ${v}` };
  },
  cutAtBoundary(rng, input) {
    const { entries } = signatureLayout(input);
    const points = [rng.below(13), ...entries.map((p) => p + rng.range(-3, 3))].filter((p) => p >= 0 && p <= input.length);
    const at = rng.chance(0.5) ? rng.below(13) : rng.pick(points);
    return { out: Buffer.from(input.subarray(0, Math.min(at, input.length))), what: `cut at ${at}` };
  },
  strayTail(rng, input) {
    const n = rng.pick([1, 2, 3, 3, 4, 5]);
    return { out: Buffer.concat([input, rng.bytes(n)]), what: `${n} stray bytes at the end` };
  },
  entries(rng, input) {
    const { entries, strongLength } = signatureLayout(input);
    if (entries.length === 0) return null;
    const size = 4 + strongLength;
    const i = rng.below(entries.length);
    const entry = input.subarray(entries[i], entries[i] + size);
    if (rng.chance(0.5)) {
      const times = 1 + rng.skewed(300);
      const j = entries[rng.below(entries.length)];
      return { out: Buffer.concat([input.subarray(0, j), ...Array(times).fill(entry), input.subarray(j)]), what: `entry ${i} repeated ${times}x` };
    }
    return { out: Buffer.concat([input.subarray(0, entries[i]), input.subarray(entries[i] + size)]), what: `entry ${i} dropped` };
  },
  /** A weak sum copied onto another entry: the delta's strong-sum check must sort them out. */
  weakCollision(rng, input) {
    const { entries } = signatureLayout(input);
    if (entries.length < 2) return null;
    const a = rng.pick(entries);
    const b = rng.pick(entries);
    const out = Buffer.from(input);
    input.copy(out, b, a, a + 4);
    return { out, what: `weak sum at ${a} copied to ${b}` };
  },
};

const NAMES = Object.keys(mutations);

/** 1 to 4 mutations, format-aware or blind; returns the bytes and what was done. */
function mutateSignature(rng, input, donor) {
  let out = input;
  const done = [];
  const count = 1 + rng.skewed(3);
  for (let i = 0; i < count; i++) {
    const step = rng.chance(0.6) ? mutations[rng.pick(NAMES)](rng, out) : mutateBytes(rng, out, donor);
    if (!step) continue;
    out = step.out;
    done.push(step.what);
  }
  return { bytes: out, what: done.join('; ') || 'unchanged' };
}

module.exports = { mutateSignature };
