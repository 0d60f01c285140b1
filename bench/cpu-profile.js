'use strict';
// Where a process's CPU time went, from the V8 CPU profiles node writes
// with --cpu-prof: self time by function and by file, idle and GC apart.
const fs = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');

/** Self time (ms) per function and per file of one .cpuprofile. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    ms.set(id, (ms.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const functions = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, t] of ms) {
    const { callFrame } = byId.get(id);
    // V8's pseudo-frames ((idle), (garbage collector), (program)) are their own files; other frames without a URL are native code.
    const file = callFrame.url ? shortFile(callFrame.url) : /^\(.*\)$/.test(callFrame.functionName) ? callFrame.functionName : '(native)';
    const fn = `${callFrame.functionName || '(anonymous)'} ${file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + t);
    files.set(file, (files.get(file) ?? 0) + t);
    total += t;
  }
  return { functions, files, total };
}

function shortFile(url) {
  const path = url.replace(/^file:\/\//, '');
  if (path.includes('/node_modules/')) return path.slice(path.lastIndexOf('/node_modules/') + 14).split('/').slice(0, 2).join('/');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

function top(map, n) {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
}

/** Markdown lines: for each step's profile directory under `dir`, the busiest files and functions. */
function summarizeProfiles(dir, n = 8) {
  const lines = [];
  for (const step of fs.readdirSync(dir).sort()) {
    for (const name of fs.readdirSync(join(dir, step)).filter((f) => f.endsWith('.cpuprofile'))) {
      const profile = JSON.parse(fs.readFileSync(join(dir, step, name), 'utf8'));
      const { functions, files, total } = selfTimes(profile);
      const idle = files.get('(idle)') ?? 0;
      const pct = (t) => `${((100 * t) / total).toFixed(0)}%`;
      lines.push(`- ${step}: ${(total / 1000).toFixed(2)} s profiled, ${pct(idle)} idle (waiting on I/O: Swift, the disk, worker threads)`);
      lines.push(`  - by file: ${top(files, n + 1).filter(([f]) => f !== '(idle)').map(([f, t]) => `${f} ${pct(t)}`).join(', ')}`);
      lines.push(`  - by function: ${top(functions, n + 1).filter(([f]) => !f.startsWith('(idle) ')).map(([f, t]) => `${f} ${pct(t)}`).join(', ')}`);
    }
  }
  return lines;
}

module.exports = { selfTimes, summarizeProfiles };

if (require.main === module) {
  for (const line of summarizeProfiles(process.argv[2], Number(process.argv[3] ?? 12))) console.log(line);
}
