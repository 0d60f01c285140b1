'use strict';
// The two rsync formats at the byte level: enough to build valid inputs
// with every opcode width and to find field and command boundaries, so
// that mutations can aim at them (a blind bit flip rarely hits a length).

const DELTA_MAGIC = 0x72730236;
const SIGNATURE_MAGICS = [0x72730136, 0x72730137, 0x72730146, 0x72730147];
const WIDTHS = [1, 2, 4, 8];
const OP_END = 0x00;
const OP_LITERAL_N1 = 0x41;
const OP_COPY_BASE = 0x45;
const OP_FIRST_RESERVED = 0x55;

/** Big-endian unsigned integer of `width` bytes (a bigint past 2^53). */
function beUint(value, width) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value)));
  return b.subarray(8 - width);
}

function u32(value) {
  return beUint(BigInt.asUintN(32, BigInt(value)), 4);
}

function signatureHeader(magic, blockLength, strongLength) {
  return Buffer.concat([u32(magic), u32(blockLength), u32(strongLength)]);
}

/** LITERAL: immediate length (1..64) when width is 0, else 0x41..0x44 and a 1/2/4/8-byte length. */
function literal(bytes, width = 0) {
  if (width === 0 && bytes.length >= 1 && bytes.length <= 64) return Buffer.concat([Buffer.of(bytes.length), bytes]);
  const w = width || WIDTHS.find((x) => bytes.length < 2 ** (8 * x));
  return Buffer.concat([Buffer.of(OP_LITERAL_N1 + WIDTHS.indexOf(w)), beUint(bytes.length, w), bytes]);
}

/** COPY with explicit offset and length widths (any value fits modulo the width). */
function copy(offset, length, offsetWidth, lengthWidth) {
  const op = OP_COPY_BASE + (WIDTHS.indexOf(offsetWidth) << 2) + WIDTHS.indexOf(lengthWidth);
  return Buffer.concat([Buffer.of(op), beUint(offset, offsetWidth), beUint(length, lengthWidth)]);
}

function delta(commands) {
  return Buffer.concat([u32(DELTA_MAGIC), ...commands, Buffer.of(OP_END)]);
}

/** Narrowest width for a value, as encoders choose it. */
function widthFor(value) {
  return WIDTHS.find((w) => w === 8 || value < 2 ** (8 * w));
}

/**
 * Splits a delta into commands: [{ at, op, kind, fields: [{at, width}], dataAt, dataLength, end }].
 * Stops quietly where the bytes stop making sense (mutated input).
 */
function parseDelta(bytes) {
  const commands = [];
  let p = 4;
  while (p < bytes.length) {
    const op = bytes[p];
    const c = { at: p, op, fields: [], dataAt: -1, dataLength: 0, end: p + 1 };
    if (op === OP_END) {
      c.kind = 'end';
      commands.push(c);
      break;
    }
    if (op >= OP_FIRST_RESERVED) break;
    let q = p + 1;
    if (op <= 64) {
      c.kind = 'literal';
      c.dataAt = q;
      c.dataLength = op;
    } else if (op < OP_COPY_BASE) {
      const w = WIDTHS[op - OP_LITERAL_N1];
      if (q + w > bytes.length) break;
      c.kind = 'literal';
      c.fields.push({ at: q, width: w });
      const n = Number(readBe(bytes, q, w));
      q += w;
      c.dataAt = q;
      c.dataLength = n;
    } else {
      c.kind = 'copy';
      const ow = WIDTHS[(op - OP_COPY_BASE) >> 2];
      const lw = WIDTHS[(op - OP_COPY_BASE) & 3];
      if (q + ow + lw > bytes.length) break;
      c.fields.push({ at: q, width: ow }, { at: q + ow, width: lw });
      c.offset = Number(readBe(bytes, q, ow));
      c.length = Number(readBe(bytes, q + ow, lw));
      q += ow + lw;
    }
    c.end = c.dataAt >= 0 ? c.dataAt + c.dataLength : q;
    if (c.end > bytes.length) break;
    commands.push(c);
    p = c.end;
  }
  return commands;
}

function readBe(bytes, at, width) {
  let v = 0n;
  for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

/** Offsets where a signature's header fields and block entries start. */
function signatureLayout(bytes) {
  if (bytes.length < 12) return { entries: [], strongLength: 0 };
  const magic = bytes.readUInt32BE(0);
  let strongLength = bytes.readUInt32BE(8);
  if (strongLength === 0) strongLength = (magic & 0x0f) === 6 ? 16 : 32;
  const entries = [];
  if (strongLength <= 32) for (let p = 12; p + 4 + strongLength <= bytes.length; p += 4 + strongLength) entries.push(p);
  return { entries, strongLength };
}

module.exports = {
  DELTA_MAGIC,
  SIGNATURE_MAGICS,
  WIDTHS,
  OP_END,
  OP_LITERAL_N1,
  OP_COPY_BASE,
  OP_FIRST_RESERVED,
  beUint,
  u32,
  signatureHeader,
  literal,
  copy,
  delta,
  widthFor,
  parseDelta,
  signatureLayout,
};
