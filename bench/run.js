#!/usr/bin/env node
'use strict';
// Signature, delta and patch through each implementation (rdiff, the
// native addon, the TypeScript backend), side by side in one run, on
// generated files: `node bench/run.js [--size MiB] [--runs N] [--only native,js]`.
// Every run of every implementation is interleaved so machine noise hits
// them alike; the table shows medians, throughput relative to rdiff
// (>1 = faster than rdiff), peak RSS and the worst event-loop delay.
// Our outputs are fsync'ed before they are renamed into place, so rdiff's
// are too (`sync FILE`): both times include making the output durable.
// Library figures are "warm" (second use in the process, as in a server);
// "cold" is the first use in a fresh process.
const { execFileSync, spawnSync } = require('node:child_process');
const { randomFillSync } = require('node:crypto');
const { closeSync, mkdtempSync, openSync, rmSync, writeSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const sizeMiB = arg('--size', 256);
const runs = arg('--runs', 3);
// --only rdiff,js: a subset of the implementations (rdiff is always run: it is the baseline)
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? ['rdiff', ...process.argv[onlyIndex + 1].split(',').filter((x) => x !== 'rdiff')] : ['rdiff', 'native', 'js'];
const dir = mkdtempSync(join(process.env.BENCH_DIR || tmpdir(), 'librsync-bench-'));
const p = (name) => join(dir, name);

// Files: basis (random), edited (1% changed in place in 64 KiB patches plus
// a few insertions, including one near the start), unrelated (random).
function writeFiles() {
  const size = sizeMiB << 20;
  const basis = Buffer.allocUnsafe(size);
  randomFillSync(basis);
  const write = (name, parts) => {
    const fd = openSync(p(name), 'w');
    for (const part of parts) writeSync(fd, part);
    closeSync(fd);
  };
  write('basis', [basis]);
  const edited = Buffer.from(basis);
  const patchLen = 64 << 10;
  const patches = Math.max(1, Math.floor((size * 0.01) / patchLen));
  for (let i = 0; i < patches; i++) randomFillSync(edited, Math.floor(((i + 0.5) * size) / patches) - patchLen / 2, patchLen);
  const insert = (n) => randomFillSync(Buffer.allocUnsafe(n));
  write('edited', [edited.subarray(0, 4096), insert(1000), edited.subarray(4096, size / 2), insert(77), edited.subarray(size / 2)]);
  const unrelated = Buffer.allocUnsafe(size);
  randomFillSync(unrelated);
  write('unrelated', [unrelated]);
}

function timeCommand(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [wall, rssKiB] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  let inner = {};
  try {
    inner = JSON.parse(r.stdout);
  } catch {}
  return { seconds: inner.seconds ?? wall, coldSeconds: inner.coldSeconds, rssMiB: rssKiB / 1024, maxLoopDelayMs: inner.maxLoopDelayMs };
}

function rdiffDurable(args, output) {
  return timeCommand('sh', ['-c', 'rdiff -f "$@" && sync "$0"', output, ...args]);
}

const implementations = {
  rdiff: {
    signature: (i, o) => rdiffDurable(['signature', i, o], o),
    delta: (s, n, o) => rdiffDurable(['delta', s, n, o], o),
    patch: (b, d, o) => rdiffDurable(['patch', b, d, o], o),
  },
  native: library('native'),
  js: library('js'),
};

function library(backend) {
  const op = (...args) => timeCommand(process.execPath, [join(__dirname, 'op.js'), backend, ...args]);
  return {
    signature: (i, o) => op('signature', i, o),
    delta: (s, n, o) => op('delta', s, n, o),
    patch: (b, d, o) => op('patch', b, d, o),
  };
}

const cases = [
  { name: 'signature', bytes: () => statSync(p('basis')).size, run: (impl, tag) => impl.signature(p('basis'), p(`basis.sig.${tag}`)) },
  { name: 'delta (edited)', bytes: () => statSync(p('edited')).size, run: (impl, tag) => impl.delta(p('basis.sig.rdiff'), p('edited'), p(`edited.delta.${tag}`)) },
  { name: 'delta (unrelated)', bytes: () => statSync(p('unrelated')).size, run: (impl, tag) => impl.delta(p('basis.sig.rdiff'), p('unrelated'), p(`unrelated.delta.${tag}`)) },
  { name: 'patch (edited)', bytes: () => statSync(p('edited')).size, run: (impl, tag) => impl.patch(p('basis'), p('edited.delta.rdiff'), p(`edited.out.${tag}`)) },
];

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main() {
  console.log(`# librsync bench: ${sizeMiB} MiB files, ${runs} interleaved runs, median shown (${dir})`);
  writeFiles();
  const rows = [];
  for (const c of cases) {
    const results = Object.fromEntries(only.map((k) => [k, []]));
    for (let r = 0; r < runs; r++) {
      for (const tag of only) results[tag].push(c.run(implementations[tag], tag));
    }
    const mb = c.bytes() / 1e6;
    const base = median(results.rdiff.map((x) => x.seconds));
    for (const [tag, list] of Object.entries(results)) {
      const seconds = median(list.map((x) => x.seconds));
      rows.push({
        operation: c.name,
        impl: tag,
        seconds: seconds.toFixed(3),
        'MB/s': (mb / seconds).toFixed(0),
        'vs rdiff': (base / seconds).toFixed(2) + 'x',
        'cold s': list[0].coldSeconds === undefined ? '-' : median(list.map((x) => x.coldSeconds)).toFixed(3),
        'peak RSS MiB': Math.max(...list.map((x) => x.rssMiB)).toFixed(0),
        'max loop delay ms': list[0].maxLoopDelayMs === undefined ? '-' : Math.max(...list.map((x) => x.maxLoopDelayMs)).toFixed(1),
      });
    }
  }
  // Outputs must agree, or the timings mean nothing.
  for (const tag of only) {
    if (tag === 'rdiff') continue;
    execFileSync('cmp', [p('basis.sig.rdiff'), p(`basis.sig.${tag}`)]);
    execFileSync('cmp', [p('edited.delta.rdiff'), p(`edited.delta.${tag}`)]);
    execFileSync('cmp', [p('unrelated.delta.rdiff'), p(`unrelated.delta.${tag}`)]);
    execFileSync('cmp', [p(`edited.out.${tag}`), p('edited')]);
  }
  console.table(rows);
  rmSync(dir, { recursive: true, force: true });
}

main();
