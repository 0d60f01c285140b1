'use strict';
// Format-blind mutations of a byte string. Each returns a new Buffer and
// says what it did, so a finding can be read without replaying it.

/** Values that sit on the edges of the integer widths the formats use. */
const INTERESTING_INTEGERS = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n,
  (1n << 24n) - 1n, 1n << 24n, (1n << 24n) + 1n,
  (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n,
  (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n,
];
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x41, 0x44, 0x45, 0x54, 0x55, 0xfe];

function writeInteger(buf, at, width, value) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, value));
  b.copy(buf, at, 8 - width, 8 - width + Math.min(width, buf.length - at));
}

const mutations = {
  flipBit(rng, input) {
    if (input.length === 0) return null;
    const out = Buffer.from(input);
    const at = rng.below(out.length);
    const bit = rng.below(8);
    out[at] ^= 1 << bit;
    return { out, what: `flip bit ${bit} of byte ${at}` };
  },
  setByte(rng, input) {
    if (input.length === 0) return null;
    const out = Buffer.from(input);
    const at = rng.below(out.length);
    out[at] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.below(256);
    return { out, what: `set byte ${at} to 0x${out[at].toString(16)}` };
  },
  truncate(rng, input) {
    if (input.length === 0) return null;
    const at = rng.chance(0.5) ? input.length - 1 - rng.skewed(input.length - 1) : rng.below(input.length);
    return { out: Buffer.from(input.subarray(0, at)), what: `truncate to ${at} bytes` };
  },
  extend(rng, input) {
    const extra = rng.bytes(1 + rng.skewed(64));
    return { out: Buffer.concat([input, extra]), what: `append ${extra.length} random bytes` };
  },
  deleteRange(rng, input) {
    if (input.length < 2) return null;
    const at = rng.below(input.length);
    const n = 1 + rng.skewed(input.length - at - 1);
    return { out: Buffer.concat([input.subarray(0, at), input.subarray(at + n)]), what: `delete ${n} bytes at ${at}` };
  },
  duplicateRange(rng, input) {
    if (input.length === 0) return null;
    const from = rng.below(input.length);
    const n = 1 + rng.skewed(Math.min(4096, input.length - from) - 1);
    const to = rng.below(input.length + 1);
    const piece = input.subarray(from, from + n);
    const times = rng.chance(0.1) ? 2 + rng.skewed(200) : 1;
    const copies = Buffer.concat(Array(times).fill(piece));
    return { out: Buffer.concat([input.subarray(0, to), copies, input.subarray(to)]), what: `insert ${times}x bytes ${from}..${from + n} at ${to}` };
  },
  splice(rng, input, donor) {
    if (!donor || donor.length === 0) return null;
    const at = rng.below(input.length + 1);
    const from = rng.below(donor.length);
    const n = 1 + rng.skewed(donor.length - from - 1);
    const keepTail = rng.chance(0.5);
    const out = Buffer.concat([input.subarray(0, at), donor.subarray(from, from + n), keepTail ? input.subarray(at) : Buffer.alloc(0)]);
    return { out, what: `splice ${n} donor bytes from ${from} at ${at}${keepTail ? '' : ', dropping the rest'}` };
  },
  overwriteInteger(rng, input) {
    if (input.length === 0) return null;
    const width = rng.pick([1, 2, 4, 8]);
    const at = rng.below(input.length);
    const value = rng.pick(INTERESTING_INTEGERS);
    const out = Buffer.from(input);
    writeInteger(out, at, width, value);
    return { out, what: `write ${value} as ${width} bytes at ${at}` };
  },
  insertRandom(rng, input) {
    const at = rng.below(input.length + 1);
    const extra = rng.bytes(1 + rng.skewed(32));
    return { out: Buffer.concat([input.subarray(0, at), extra, input.subarray(at)]), what: `insert ${extra.length} random bytes at ${at}` };
  },
};

const NAMES = Object.keys(mutations);

/** One random format-blind mutation (null when it does not apply to this input). */
function mutateBytes(rng, input, donor) {
  const name = rng.pick(NAMES);
  return mutations[name](rng, input, donor);
}

module.exports = { mutateBytes, writeInteger, INTERESTING_INTEGERS };
