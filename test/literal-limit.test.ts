// The js delta cuts literals where the linked librsync does: 32768 bytes
// for 2.3.2 (Debian), 65533 for 2.3.3+ (Fedora, Homebrew). The reference
// here is `rdiff` on the PATH, whose librsync version is in the suite's
// name next to the one the addon links.
import { LibrsyncError, loadSignature, patchBuffer, signatureBuffer } from '../lib';
import { JobStream } from '../lib/job-stream';
import { JsDeltaJob } from '../lib/js/js-delta-job';
import { LITERAL_LIMIT_2_3_2, LITERAL_LIMIT_2_3_3, linkedLiteralLimit, literalLimitFor } from '../lib/literal-limit';
import { nativeBinding } from '../lib/native-binding';
import { randomBytesSeeded, scratchDir } from './support/files';
import { linkedLibrsync, rdiffLibrsyncVersion, rdiffReference } from './support/librsync-reference';
import { describeNative, describeWithRdiff } from './support/requirements';
import { rdiffDelta, runChunks, seededChunks, write } from './support/rsync';

const rdiffVersion = rdiffLibrsyncVersion;

type Command = { literal: number } | { copy: number; length: number };

/** The commands of a delta, in order (the test's own decoder, independent of the patch job). */
function deltaCommands(delta: Buffer): Command[] {
  expect(delta.readUInt32BE(0)).toBe(0x72730236);
  const commands: Command[] = [];
  const uint = (at: number, width: number): number => Number(delta.readUIntBE(at, width));
  for (let at = 4; ; ) {
    const op = delta[at++];
    if (op === 0) {
      expect(at).toBe(delta.length);
      return commands;
    }
    if (op <= 64) {
      commands.push({ literal: op });
      at += op;
    } else if (op <= 0x44) {
      const width = [1, 2, 4, 8][op - 0x41];
      const length = uint(at, width);
      commands.push({ literal: length });
      at += width + length;
    } else if (op <= 0x54) {
      const positionWidth = [1, 2, 4, 8][(op - 0x45) >> 2];
      const lengthWidth = [1, 2, 4, 8][(op - 0x45) & 3];
      commands.push({ copy: uint(at, positionWidth), length: uint(at + positionWidth, lengthWidth) });
      at += positionWidth + lengthWidth;
    } else {
      throw new Error(`unexpected opcode 0x${op.toString(16)}`);
    }
  }
}

const blockLength = 2048;
const basis = randomBytesSeeded(64 * blockLength, 31);
const unmatched = 200_000;
// A block of the basis, a long run matching nothing, then the rest of the basis.
const newData = Buffer.concat([basis.subarray(0, blockLength), randomBytesSeeded(unmatched, 32), basis.subarray(blockLength)]);

async function jsDelta(limit: number | undefined, input = newData): Promise<Buffer> {
  const sig = await signatureBuffer(basis, { backend: 'js', blockLength });
  const set = await loadSignature(sig, { backend: 'js' });
  try {
    const job = new JsDeltaJob(set.js, { literalLimit: limit });
    return await runChunks(new JobStream(job, true), seededChunks(input, 5, 100_000));
  } finally {
    set.close();
  }
}

function literalRuns(limit: number): number[] {
  const runs = Array<number>(Math.floor(unmatched / limit)).fill(limit);
  if (unmatched % limit) runs.push(unmatched % limit);
  return runs;
}

describe('literalLimitFor: the literal limit of a librsync version', () => {
  it.each([
    ['2.3.2', LITERAL_LIMIT_2_3_2],
    ['librsync 2.3.2', LITERAL_LIMIT_2_3_2],
    ['2.3.1', LITERAL_LIMIT_2_3_2],
    ['2.0.2', LITERAL_LIMIT_2_3_2],
    ['1.9.9', LITERAL_LIMIT_2_3_2],
    ['2.3.3', LITERAL_LIMIT_2_3_3],
    ['librsync 2.3.4', LITERAL_LIMIT_2_3_3],
    ['2.4.0', LITERAL_LIMIT_2_3_3],
    ['3.0.0', LITERAL_LIMIT_2_3_3],
    ['unknown', LITERAL_LIMIT_2_3_2],
    ['', LITERAL_LIMIT_2_3_2],
  ])('%j -> %i', (version, limit) => {
    expect(literalLimitFor(version)).toBe(limit);
  });
});

describeNative(`linkedLiteralLimit: the rule of the linked librsync (${linkedLibrsync})`, () => {
  it('follows the version the addon reports', () => {
    expect(linkedLiteralLimit()).toBe(literalLimitFor(nativeBinding().librsyncVersion));
  });
});

describe('js delta: the literal limit given to JsDeltaJob', () => {
  it.each([LITERAL_LIMIT_2_3_3, LITERAL_LIMIT_2_3_2])('a long unmatched run is cut into literals of exactly %i bytes', async (limit) => {
    const delta = await jsDelta(limit);
    const commands = deltaCommands(delta);
    expect(commands[0]).toEqual({ copy: 0, length: blockLength });
    expect(commands.slice(1, -1).map((c) => ('literal' in c ? c.literal : -1))).toEqual(literalRuns(limit));
    expect(commands[commands.length - 1]).toEqual({ copy: blockLength, length: basis.length - blockLength });
    expect((await patchBuffer(basis, delta, { backend: 'js' })).equals(newData)).toBe(true);
  });

  it('defaults to the linked librsync\'s limit', async () => {
    expect((await jsDelta(undefined)).equals(await jsDelta(linkedLiteralLimit()))).toBe(true);
  });

  it.each([0, -1, 1.5, 256 << 10, Number.NaN])('refuses the limit %p with RS_PARAM_ERROR', async (limit) => {
    const sig = await signatureBuffer(basis, { backend: 'js', blockLength });
    const set = await loadSignature(sig, { backend: 'js' });
    try {
      expect(() => new JsDeltaJob(set.js, { literalLimit: limit })).toThrow(expect.objectContaining({ code: 'RS_PARAM_ERROR' }) as LibrsyncError);
    } finally {
      set.close();
    }
  });
});

describeWithRdiff(`js delta vs ${rdiffReference}`, () => {
  it('with the limit of rdiff\'s librsync, the bytes equal `rdiff delta`', async () => {
    const scratch = scratchDir();
    try {
      const sigPath = write(scratch.path('sig'), await signatureBuffer(basis, { backend: 'js', blockLength }));
      const expected = rdiffDelta(sigPath, write(scratch.path('new'), newData), scratch.path('delta'));
      const commands = deltaCommands(expected);
      const limit = literalLimitFor(rdiffVersion ?? '');
      expect(commands.slice(1, -1).map((c) => ('literal' in c ? c.literal : -1))).toEqual(literalRuns(limit));
      expect((await jsDelta(limit)).equals(expected)).toBe(true);
      if (limit === linkedLiteralLimit()) expect((await jsDelta(undefined)).equals(expected)).toBe(true);
    } finally {
      scratch.remove();
    }
  });
});
