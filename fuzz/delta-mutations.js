'use strict';
// Mutations aimed at the delta format: opcodes (reserved, END, other
// widths), COPY offsets and lengths and LITERAL lengths set to values
// around the basis size and the integer limits (2^31, 2^32, 2^63,
// 2^64-1), cuts at command boundaries, repeated COPYs (bombs), wrong magics.
const { DELTA_MAGIC, SIGNATURE_MAGICS, OP_COPY_BASE, OP_FIRST_RESERVED, WIDTHS, copy, literal, parseDelta, u32 } = require('./rsync-format');
const { mutateBytes, writeInteger, INTERESTING_INTEGERS } = require('./byte-mutations');

function replace(input, from, to, piece) {
  return Buffer.concat([input.subarray(0, from), piece, input.subarray(to)]);
}

function sizeValues(basisSize) {
  const s = BigInt(basisSize);
  return [s, s + 1n, s - 1n, s > 0n ? s - 1n : 0n, 0n, 1n, ...INTERESTING_INTEGERS];
}

const mutations = {
  magic(rng, input) {
    const v = rng.pick([...SIGNATURE_MAGICS, 0, DELTA_MAGIC + 1, 0x72730237, rng.u32()]);
    return { out: replace(input, 0, Math.min(4, input.length), u32(v)), what: `magic 0x${v.toString(16)}` };
  },
  opcode(rng, input, { commands }) {
    if (commands.length === 0) return null;
    const c = rng.pick(commands);
    const op = rng.pick([0x00, OP_FIRST_RESERVED, 0x56, 0x7f, 0x80, 0xfe, 0xff, rng.range(OP_FIRST_RESERVED, 0xff), rng.range(1, 0x54), rng.range(0x41, 0x54)]);
    const out = Buffer.from(input);
    out[c.at] = op;
    return { out, what: `opcode at ${c.at} 0x${c.op.toString(16)} -> 0x${op.toString(16)}` };
  },
  field(rng, input, { commands, basisSize }) {
    const withFields = commands.filter((c) => c.fields.length > 0);
    if (withFields.length === 0) return null;
    const c = rng.pick(withFields);
    const f = rng.pick(c.fields);
    const value = rng.pick(sizeValues(basisSize));
    const out = Buffer.from(input);
    writeInteger(out, f.at, f.width, value);
    return { out, what: `${c.kind} field at ${f.at} (${f.width} bytes) = ${value}` };
  },
  /** The same COPY re-encoded with other widths or other values. */
  recopy(rng, input, { commands, basisSize }) {
    const copies = commands.filter((c) => c.kind === 'copy' || c.kind === 'literal');
    if (copies.length === 0) return null;
    const c = rng.pick(copies);
    const ow = rng.pick(WIDTHS);
    const lw = rng.pick(WIDTHS);
    const offset = rng.chance(0.5) ? BigInt(c.offset ?? 0) : rng.pick(sizeValues(basisSize));
    const length = rng.chance(0.5) ? BigInt(c.length ?? 1) : rng.pick(sizeValues(basisSize));
    return { out: replace(input, c.at, c.end, copy(offset, length, ow, lw)), what: `command at ${c.at} -> COPY(${offset}, ${length}) widths ${ow}/${lw}` };
  },
  /** A LITERAL whose length says more (or less) than what follows. */
  relit(rng, input, { commands }) {
    const lits = commands.filter((c) => c.kind === 'literal');
    if (lits.length === 0) return null;
    const c = rng.pick(lits);
    const data = input.subarray(c.dataAt, c.end);
    const width = rng.pick([0, 1, 2, 4, 8]);
    let cmd = literal(data, width);
    if (rng.chance(0.5) && width > 0) {
      cmd = Buffer.from(cmd);
      writeInteger(cmd, 1, width, rng.pick([0n, BigInt(data.length) + 1n, BigInt(Math.max(0, data.length - 1)), ...INTERESTING_INTEGERS]));
    }
    return { out: replace(input, c.at, c.end, cmd), what: `literal at ${c.at} re-encoded (width ${width})` };
  },
  cutAtCommand(rng, input, { commands }) {
    if (commands.length === 0) return null;
    const c = rng.pick(commands);
    const at = Math.max(0, Math.min(input.length, rng.pick([c.at, c.at + 1, c.end - 1, c.end, c.at + rng.below(4)])));
    return { out: Buffer.from(input.subarray(0, at)), what: `cut at ${at}` };
  },
  dropEnd(rng, input, { commands }) {
    const end = commands.find((c) => c.kind === 'end');
    if (!end) return null;
    return { out: Buffer.from(input.subarray(0, end.at)), what: 'END removed' };
  },
  /** Many COPYs of the whole basis: output far larger than the delta. */
  bomb(rng, input, { commands, basisSize }) {
    if (basisSize === 0) return null;
    const times = 2 + rng.skewed(4000);
    const cmd = copy(0, basisSize, 8, 8);
    const at = commands.length ? rng.pick(commands).at : 4;
    return { out: replace(input, at, at, Buffer.concat(Array(times).fill(cmd))), what: `${times} COPYs of the whole basis at ${at}` };
  },
  repeatCommand(rng, input, { commands }) {
    const body = commands.filter((c) => c.kind !== 'end');
    if (body.length === 0) return null;
    const c = rng.pick(body);
    const times = 1 + rng.skewed(100);
    const piece = input.subarray(c.at, c.end);
    return { out: replace(input, c.end, c.end, Buffer.concat(Array(times).fill(piece))), what: `command at ${c.at} repeated ${times}x` };
  },
  afterEnd(rng, input) {
    return { out: Buffer.concat([input, rng.bytes(1 + rng.skewed(40))]), what: 'bytes after END' };
  },
};

const NAMES = Object.keys(mutations);

/** 1 to 4 mutations, format-aware or blind, each on the result of the last. */
function mutateDelta(rng, input, basisSize, donor) {
  let out = input;
  const done = [];
  const count = 1 + rng.skewed(3);
  for (let i = 0; i < count; i++) {
    const context = { commands: parseDelta(out), basisSize };
    const step = rng.chance(0.65) ? mutations[rng.pick(NAMES)](rng, out, context) : mutateBytes(rng, out, donor);
    if (!step) continue;
    out = step.out;
    done.push(step.what);
  }
  return { bytes: out, what: done.join('; ') || 'unchanged' };
}

module.exports = { mutateDelta };
