// `node bench/run.js --quick`: every implementation, operation and output
// check of the speed benchmark runs and lands in its JSON, markdown and SVG,
// and an output that differs from rdiff's fails the run. No timing is
// asserted: this machine's speed is not the code's.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithRdiff } from './support/requirements';
import { scratchDir } from './support/files';

const RUN = join(__dirname, '..', 'bench', 'run.js');
const OPERATIONS = ['signature', 'delta-edited', 'delta-unrelated', 'patch'];
const IMPLEMENTATIONS = ['rdiff', 'native-serial', 'native-parallel', 'js', 'cli'];

interface Row {
  sizeMiB: number;
  op: string;
  impl: string;
  seconds: number;
  vsRdiff: number;
  peakRssMiB: number;
  rssGrowthMiB: number;
  loopP99Ms?: number;
  loopMaxMs?: number;
  coldSeconds?: number;
}
interface Check {
  op: string;
  impl: string;
  ok: boolean;
  detail?: string;
}
interface SpeedResult {
  ok: boolean;
  quick: boolean;
  rows: Row[];
  checks: Check[];
  targets: { target: string; met: boolean }[];
  machine: { nproc: number; librsync: string };
}

function runBench(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [RUN, '--quick', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function resultIn(dir: string): SpeedResult {
  const json = readdirSync(dir).find((n) => /^speed-\d{4}-\d\d-\d\d\.json$/.test(n));
  if (!json) throw new Error(`no speed-<date>.json in ${dir}: ${readdirSync(dir).join(', ')}`);
  return JSON.parse(readFileSync(join(dir, json), 'utf8'));
}

describeWithRdiff('speed benchmark, quick mode', () => {
  const scratch = scratchDir('librsync-bench-smoke-');
  afterAll(() => scratch.remove());

  test('every operation through every implementation, every output checked, results written', () => {
    const out = scratch.path('out');
    const data = scratch.path('data');
    spawnSync('mkdir', [data]);
    const r = runBench(['--out', out], { BENCH_DIR: data });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const result = resultIn(out);
    expect(result.ok).toBe(true);
    expect(result.quick).toBe(true);

    const pairs = (xs: { op: string; impl: string }[]): string[] => xs.map((x) => `${x.op}/${x.impl}`).sort();
    const expected = OPERATIONS.flatMap((op) => IMPLEMENTATIONS.map((impl) => `${op}/${impl}`)).sort();
    expect(pairs(result.rows)).toEqual(expected);
    expect(pairs(result.checks)).toEqual(expected);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    for (const row of result.rows) {
      expect(row.sizeMiB).toBe(8);
      expect(row.seconds).toBeGreaterThan(0);
      expect(row.peakRssMiB).toBeGreaterThan(0);
      expect(Number.isFinite(row.vsRdiff) && Number.isFinite(row.rssGrowthMiB)).toBe(true);
      // the library rows measure the event loop and a cold first use; the whole-process rows cannot
      const library = row.impl !== 'rdiff' && row.impl !== 'cli';
      expect([row.loopP99Ms !== undefined, row.loopMaxMs !== undefined, row.coldSeconds !== undefined]).toEqual([library, library, library]);
    }
    expect(result.rows.filter((r) => r.impl === 'rdiff').map((r) => r.vsRdiff)).toEqual([1, 1, 1, 1]);
    // every ratio target of issue 12 and the two limits, met or not
    expect(result.targets).toHaveLength(14);
    expect(result.machine.librsync).toMatch(/^librsync 2\./);

    // the data directory is left empty
    expect(readdirSync(data)).toEqual([]);

    const md = readFileSync(join(out, 'speed-latest.md'), 'utf8');
    const table = md.slice(md.indexOf('<!-- speed-table -->'), md.indexOf('<!-- /speed-table -->'));
    expect(table.split('\n').filter((l) => l.startsWith('| 8 MiB |'))).toHaveLength(20);
    expect(md).toContain(`Command: \`node bench/run.js --quick --out ${out}\``);
    expect(md).toMatch(/\| native-parallel signature >= 1\.8x rdiff \| 8 MiB \| [\d.]+x \| (met|\*\*missed\*\*) \|/);

    const svg = readFileSync(join(out, 'speed-latest.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // one bar per row other than rdiff's, each titled with its ratio
    expect(svg.match(/<title>[^<]*x rdiff<\/title>/g)).toHaveLength(16);
    const dated = readdirSync(out).filter((n) => n.startsWith('speed-2')).sort();
    expect(dated.map((n) => n.replace(/\d{4}-\d\d-\d\d/, 'DATE'))).toEqual(['speed-DATE.json', 'speed-DATE.md', 'speed-DATE.svg']);
    expect(readFileSync(join(out, dated[1]), 'utf8')).toBe(md);
  }, 240_000);

  test('an output that differs from rdiff fails the run with exit status 1', () => {
    // An rdiff that appends a byte to what it writes in the timed runs (output
    // names end in ".rdiff"), not to the reference outputs the others are compared with.
    const real = spawnSync('sh', ['-c', 'command -v rdiff'], { encoding: 'utf8' }).stdout.trim();
    const bin = scratch.path('bin');
    spawnSync('mkdir', [bin]);
    writeFileSync(join(bin, 'rdiff'), `#!/bin/sh\n"${real}" "$@" || exit $?\nfor last; do :; done\ncase "$last" in *.rdiff) printf x >> "$last";; esac\n`);
    chmodSync(join(bin, 'rdiff'), 0o755);
    const out = scratch.path('out-bad');
    const r = runBench(['--out', out, '--only', 'js'], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FAILED: some output differs/);
    const result = resultIn(out);
    expect(result.ok).toBe(false);
    const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.op}/${c.impl}`);
    // patch's reference is the new file itself: rdiff's extra byte fails it too
    expect(failed.sort()).toEqual(OPERATIONS.map((op) => `${op}/rdiff`).sort());
    expect(result.checks.filter((c) => c.ok).map((c) => c.impl)).toEqual(['js', 'js', 'js', 'js']);
    expect(readFileSync(join(out, 'speed-latest.md'), 'utf8')).toMatch(/\*\*FAILED: 4 output\(s\) differ/);
    expect(existsSync(join(out, 'speed-latest.svg'))).toBe(true);
  }, 240_000);
});
