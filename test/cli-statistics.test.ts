// `librsync -s`: the statistics lines on stderr are rdiff's, byte for byte,
// for signature, delta (literal and copy, literal only, nothing at all),
// patch, and delta's "match statistics" (replayed counters of librsync's
// hash table), on each backend. The byte and command counts agree because
// the outputs do; the whole seconds are 1 on both sides for inputs this small.
import { readFileSync, writeFileSync } from 'node:fs';
import { printfFixed, wholeSeconds } from '../lib/cli/stats-format';
import { RunOptions, runCli, runRdiff } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';

describeEachBackendWithRdiff('-s statistics lines equal rdiff -s', (backend) => {
  const scratch = scratchDir('librsync-cli-stats-');
  const opts: RunOptions = { cwd: scratch.dir };
  afterAll(() => scratch.remove());

  beforeAll(() => {
    const basis = randomBytesSeeded(300_000, 5);
    writeFileSync(scratch.path('basis'), basis);
    // a changed run, an insertion near the start: literal and copy commands
    const edited = Buffer.concat([basis.subarray(0, 3000), randomBytesSeeded(700, 6), basis.subarray(3000, 200_000), randomBytesSeeded(5000, 7), basis.subarray(205_000)]);
    writeFileSync(scratch.path('edited'), edited);
    // 250,000 bytes: 0.25 MB in, a tie that printf's %.1f rounds to 0.2
    writeFileSync(scratch.path('unrelated'), randomBytesSeeded(250_000, 8));
    writeFileSync(scratch.path('empty'), Buffer.alloc(0));
    // many identical blocks: stored once in librsync's table, and matched again and again
    writeFileSync(scratch.path('zeros'), Buffer.alloc(100_000));
    writeFileSync(scratch.path('zeros-edited'), Buffer.concat([Buffer.alloc(50_000), randomBytesSeeded(3000, 9), Buffer.alloc(60_000)]));
    expect(runRdiff(['signature', 'basis', 'basis.sig'], opts).status).toBe(0);
    expect(runRdiff(['-b', '64', 'signature', 'zeros', 'zeros.sig'], opts).status).toBe(0);
    // blocks larger than the 64 KiB chunks the new file arrives in
    expect(runRdiff(['-b', '100000', 'signature', 'basis', 'basis.big.sig'], opts).status).toBe(0);
    // rollsum keys go through mix32 in librsync's table, RabinKarp sums do not
    expect(runRdiff(['-R', 'rollsum', '-H', 'md4', '-b', '256', 'signature', 'basis', 'basis.rollsum.sig'], opts).status).toBe(0);
    expect(runRdiff(['delta', 'basis.sig', 'edited', 'edited.delta'], opts).status).toBe(0);
  });

  const cases: [string, string[]][] = [
    ['signature', ['signature', 'basis', 'OUT']],
    ['signature of an empty file (no section at all)', ['signature', 'empty', 'OUT']],
    ['delta with literal and copy commands', ['delta', 'basis.sig', 'edited', 'OUT']],
    ['delta with literal commands only (two spaces before speed)', ['delta', 'basis.sig', 'unrelated', 'OUT']],
    ['delta of an empty file (no searches: -nan%)', ['delta', 'basis.sig', 'empty', 'OUT']],
    ['delta against identical blocks', ['delta', 'zeros.sig', 'zeros-edited', 'OUT']],
    ['delta against a rollsum/md4 signature', ['delta', 'basis.rollsum.sig', 'edited', 'OUT']],
    ['delta of stdin', ['delta', 'basis.sig', '-', 'OUT']],
    ['delta against blocks larger than a read', ['delta', 'basis.big.sig', 'edited', 'OUT']],
    ['patch', ['patch', 'basis', 'edited.delta', 'OUT']],
  ];
  test.each(cases)('%s', (_name, args) => {
    const run = { ...opts, stdinFile: args.includes('-') ? 'edited' : undefined };
    const theirs = runRdiff(['-s', '-f', ...args.map((a) => (a === 'OUT' ? 'out.rdiff' : a))], run);
    const ours = runCli(['-s', '-f', '--backend', backend, ...args.map((a) => (a === 'OUT' ? 'out.ours' : a))], run);
    expect([ours.status, theirs.status]).toEqual([0, 0]);
    expect(readFileSync(scratch.path('out.ours')).equals(readFileSync(scratch.path('out.rdiff')))).toBe(true);
    const rdiffLines = theirs.stderr.split('\n').filter((l) => l !== '');
    const ourLines = ours.stderr.split('\n').filter((l) => l !== '');
    expect(rdiffLines.length).toBeGreaterThan(0);
    expect(ourLines).toEqual(rdiffLines);
    expect(rdiffLines.filter((l) => l.startsWith('librsync: match statistics: '))).toHaveLength(args[0] === 'delta' ? 1 : 0);
  });

  test('--json leaves the lines out, as stdout carries the summary', () => {
    const ours = runCli(['-s', '--json', '--backend', backend, '-f', 'signature', 'basis', 'json.sig'], opts);
    expect(ours.status).toBe(0);
    expect(ours.stderr).toBe('');
    expect(JSON.parse(ours.stdout.toString())).toMatchObject({ ok: true, stats: { operation: 'signature', inBytes: 300_000 } });
  });
});

test("printf's %.1f and rs_format_stats's whole seconds", () => {
  // as Python's '%.1f' % x and '%.3f' % x (glibc's printf) print them
  expect([0.25, 0.75, 1.25, 0.35, 0.05, 2.5, 0.2500001, 0].map((x) => printfFixed(x, 1))).toEqual(['0.2', '0.8', '1.2', '0.3', '0.1', '2.5', '0.3', '0.0']);
  expect([0.0625, 0.1875, 33.142, 0.0005, 100, 12.3456789].map((x) => printfFixed(x, 3))).toEqual(['0.062', '0.188', '33.142', '0.001', '100.000', '12.346']);
  expect([0, 0.4, 0.6, 1.49, 1.5, 59.7].map(wholeSeconds)).toEqual([1, 1, 1, 1, 2, 60]);
});
