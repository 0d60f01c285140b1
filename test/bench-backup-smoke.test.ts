// `node bench/backup.js --quick --tools ours`: every part and step of the
// backup benchmark runs our CLI, every restore is checked byte for byte, and
// the JSON, markdown and SVG are written with real numbers; a peer that is
// not installed is reported absent, never dropped silently. No timing is
// asserted: this machine's speed is not the code's. Needs no peer installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/files';

const RUN = join(__dirname, '..', 'bench', 'backup.js');

interface Row {
  part: string;
  step: string;
  tool: string;
  error?: string;
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
  storedBytes?: number;
  objects?: number;
  restore?: { identical: boolean; modes: boolean; mtimes: boolean; first?: string };
}
interface BackupResult {
  ok: boolean;
  rows: Row[];
  absent: string[];
  tools: { id: string }[];
  targets: { target: string; value: string; met: boolean | null }[];
  settings: { quick: boolean; levels: number };
}

function runBench(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [RUN, '--quick', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function resultIn(dir: string): BackupResult {
  const json = readdirSync(dir).find((n) => /^backup-\d{4}-\d\d-\d\d\.json$/.test(n));
  if (!json) throw new Error(`no backup-<date>.json in ${dir}: ${readdirSync(dir).join(', ')}`);
  return JSON.parse(readFileSync(join(dir, json), 'utf8'));
}

describe('backup benchmark, quick mode', () => {
  const scratch = scratchDir('librsync-bench-backup-smoke-');
  afterAll(() => scratch.remove());

  test('ours through every part and step, every restore identical, results written', () => {
    const out = scratch.path('out');
    const data = scratch.path('data');
    mkdirSync(data);
    const r = runBench(['--tools', 'ours', '--out', out], { BENCH_DIR: data });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const result = resultIn(out);
    expect([result.ok, result.settings.quick, result.absent, result.tools.map((t) => t.id)]).toEqual([true, true, [], ['ours']]);

    const steps = result.rows.map((row) => `${row.part}/${row.step}/${row.tool}`);
    expect(steps).toEqual([
      ...['level 0', 'level 1', 'no-change level', 'restore newest'].map((s) => `main/${s}/ours`),
      ...['level 0', 'no-change level', 'restore newest'].map((s) => `small/${s}/ours`),
      ...['level 0', 'no-change level', 'restore newest'].map((s) => `small-reference/${s}/ours`),
      ...['level 0', 'level 1', 'level 2', 'level 3', 'restore level 3', 'restore level 0'].map((s) => `chain/${s}/ours`),
    ]);
    for (const row of result.rows) {
      expect(row.error).toBeUndefined();
      expect(row.wallS).toBeGreaterThan(0);
      expect(row.cpuS).toBeGreaterThan(0);
      expect(row.peakRssMiB).toBeGreaterThan(10);
      if (row.step.startsWith('restore')) expect(row.restore).toEqual({ identical: true, modes: true, mtimes: true });
      else expect(row.restore).toBeUndefined();
    }
    const at = (part: string, step: string): Row => result.rows.find((x) => x.part === part && x.step === step)!;
    // a level 0 stores at least the tree (16 MiB of random bytes), a level 1 less (21 of its 22 small files changed), a no-change level almost nothing
    expect(at('main', 'level 0').storedBytes).toBeGreaterThanOrEqual(16 << 20);
    expect(at('main', 'level 1').storedBytes).toBeLessThan(at('main', 'level 0').storedBytes!);
    expect(at('main', 'no-change level').storedBytes).toBeLessThan(64 << 10);
    for (const step of ['level 0', 'level 1', 'no-change level']) expect(at('main', step).objects).toBeGreaterThan(0);

    // without peers the peer targets cannot be evaluated (and say so); ours against ours can
    const evaluated = result.targets.filter((t) => t.met !== null).map((t) => t.target);
    expect(evaluated).toEqual(['chain: restore of level 3 <= 1.3x our restore of level 0', 'small: our peak RSS on 300 files <= 1.5x that on 100']);
    expect(result.targets.filter((t) => t.met === null).map((t) => t.value)).toEqual([...Array(7).fill('no peer ran'), 'restic did not run', 'borg did not run']);

    expect(readdirSync(data)).toEqual([]);
    const md = readFileSync(join(out, 'backup-latest.md'), 'utf8');
    expect(md).toMatch(/^All 16 steps completed; all 5 restores checked identical/m);
    const table = md.slice(md.indexOf('<!-- backup-table -->'), md.indexOf('<!-- /backup-table -->'));
    expect(table).toMatch(/\n\| librsync backup <sub>librsync [^|]+ \| [\d.]+ s \| [\d.]+ s \| [\d.]+ MiB \| [\d.]+ s \| [\d.]+ s \| \d+ MiB \|\n/);
    expect(md).toContain(`Command: \`node bench/backup.js --quick --tools ours --out ${out}\``);
    expect(md).toMatch(/\| chain: restore of level 3 <= 1\.3x our restore of level 0 \| [\d.]+x \([^)]*\) \| (met|\*\*missed\*\*) \|/);

    const svg = readFileSync(join(out, 'backup-latest.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // one bar per charted step: 4 main, 3 small, 3 chain
    expect(svg.match(/<title>librsync backup, [^<]* s, [\d.]+x the fastest<\/title>/g)).toHaveLength(10);
    const dated = readdirSync(out).filter((n) => n.startsWith('backup-2')).sort();
    expect(dated.map((n) => n.replace(/\d{4}-\d\d-\d\d/, 'DATE'))).toEqual(['backup-DATE.json', 'backup-DATE.md', 'backup-DATE.svg']);
    expect(readFileSync(join(out, dated[1]), 'utf8')).toBe(md);
  }, 300_000);

  test('a peer that is not installed is reported absent and the others run', () => {
    const out = scratch.path('out-absent');
    const empty = scratch.path('empty-path');
    mkdirSync(empty);
    // nothing on PATH: borg cannot be found, and --no-install keeps apt-get out of it
    const r = runBench(['--tools', 'borg,ours', '--parts', 'chain', '--levels', '1', '--no-install', '--out', out], { PATH: empty });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stderr).toContain('# borg is not installed (apt-get install -y borgbackup, as root): it is marked absent');
    const result = resultIn(out);
    expect([result.ok, result.absent, result.tools.map((t) => t.id)]).toEqual([true, ['borg'], ['ours']]);
    expect(result.rows.map((row) => `${row.step}/${row.tool}`)).toEqual(['level 0/ours', 'level 1/ours', 'restore level 1/ours', 'restore level 0/ours']);
    const md = readFileSync(join(out, 'backup-latest.md'), 'utf8');
    expect(md).toContain('**Absent** (not installed, not run): borg.');
    expect(md).toContain('| borg | absent | absent | absent | absent | absent | absent |');
  }, 300_000);
});
