// Inputs the fuzzer (npm run fuzz) found mishandled, checked in under
// test/fixtures/fuzz/ and listed in its index.json with the outcome README
// promises: replayed through both backends (whole, and a byte at a time,
// so header fields arrive one by one), through compareSignatures, and
// against rdiff where the index gives its exit status.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LibrsyncError, compareSignatures, deltaBuffer, loadSignature, patchBuffer } from '../lib';
import { Backend } from '../lib/backend';
import { scratchDir } from './support/files';
import { describeEachBackend, describeWithRdiff } from './support/requirements';

interface Fixture {
  target: 'loadsig' | 'delta' | 'patch';
  /** The signature (loadsig, delta) or the delta (patch). */
  input: string;
  /** delta: the new file. */
  data?: string;
  /** patch: the basis. */
  basis?: string;
  maxOutput?: number;
  /** 'ok' or the LibrsyncError code. */
  expect: string;
  /** loadsig: the loaded set's fields. */
  info?: Record<string, number>;
  /** rdiff's exit status on the same input (absent where README says we are stricter). */
  rdiff?: number;
  why: string;
}

const root = join(__dirname, 'fixtures', 'fuzz');
const fixtures: Fixture[] = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8'));
const bytes = (name: string): Buffer => readFileSync(join(root, name));
const byteByByte = (data: Buffer): Readable => Readable.from(Array.from(data, (b) => Buffer.of(b)));

/** 'ok' with the value, or the code of the LibrsyncError (anything else fails the test). */
async function outcome<T>(work: () => Promise<T>): Promise<{ code: string; value?: T }> {
  try {
    return { code: 'ok', value: await work() };
  } catch (err) {
    if (!(err instanceof LibrsyncError)) throw err;
    return { code: err.code };
  }
}

async function run(f: Fixture, backend: Backend, slowly = false): Promise<{ code: string; value?: unknown }> {
  const input = bytes(f.input);
  if (f.target === 'patch') return outcome(() => patchBuffer(bytes(f.basis!), input, { backend, maxOutput: f.maxOutput }));
  return outcome(async () => {
    const set = await loadSignature(slowly ? byteByByte(input) : input, { backend });
    try {
      if (f.target === 'delta') return await deltaBuffer(set, bytes(f.data!));
      return { magic: set.magic, blockLength: set.blockLength, strongLength: set.strongLength, blockCount: set.blockCount };
    } finally {
      set.close();
    }
  });
}

test('the fixture index lists every fixture file once', () => {
  const listed = fixtures.flatMap((f) => [f.input, f.data, f.basis].filter((x): x is string => x !== undefined));
  expect(new Set(listed).size).toBe(listed.length);
  for (const name of listed) expect(bytes(name).length).toBeGreaterThanOrEqual(0);
});

describeEachBackend('fuzz regressions', (backend) => {
  it.each(fixtures.map((f) => [f.input, f] as const))('%s', async (_name, f) => {
    const whole = await run(f, backend);
    expect(whole.code).toBe(f.expect);
    if (f.info) expect(whole.value).toEqual(f.info);
    if (f.target !== 'patch') {
      const slow = await run(f, backend, true);
      expect(slow.code).toBe(f.expect);
      expect(slow.value).toEqual(whole.value);
    }
  });
});

describe('fuzz regressions: compareSignatures fails as loading does', () => {
  it.each(fixtures.filter((f) => f.target === 'loadsig').map((f) => [f.input, f] as const))('%s', async (_name, f) => {
    const input = bytes(f.input);
    const compared = await outcome(() => compareSignatures(byteByByte(input), input));
    expect(compared.code).toBe(f.expect);
    if (f.info) expect(compared.value).toMatchObject({ magic: f.info.magic, blockLength: f.info.blockLength, oldBlocks: f.info.blockCount, matchedBlocks: f.info.blockCount });
  });
});

describeWithRdiff('fuzz regressions: rdiff agrees', () => {
  const scratch = scratchDir('librsync-fuzz-regressions-');
  afterAll(() => scratch.remove());

  it.each(fixtures.filter((f) => f.rdiff !== undefined).map((f) => [f.input, f] as const))('%s', async (_name, f) => {
    const out = scratch.path('out');
    const args =
      f.target === 'patch'
        ? ['-f', 'patch', join(root, f.basis!), join(root, f.input), out]
        : ['-f', 'delta', join(root, f.input), f.data ? join(root, f.data) : '/dev/null', out];
    const r = spawnSync('rdiff', args);
    expect(r.status).toBe(f.rdiff);
    if (f.rdiff === 0 && f.target !== 'loadsig') {
      for (const backend of ['native', 'js'] as const) expect((await run(f, backend)).value).toEqual(readFileSync(out));
    }
  });
});
