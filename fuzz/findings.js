'use strict';
// Every finding becomes a directory: case.json (the whole case, enough to
// replay it with --replay), the inputs as plain files for reading and for
// checking in as regression fixtures, and what happened. Findings that
// say the same thing (numbers aside) are written a few times, then only
// counted, so one bug does not produce thousands of directories.
const { createHash } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const EXAMPLES_PER_KIND = 3;

/** JSON with Buffers as { $base64 } (and back), so a case survives the round trip. */
function encode(value) {
  return JSON.stringify(value, (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? { $base64: Buffer.from(v.data).toString('base64') } : v), 1);
}

function decode(text) {
  return JSON.parse(text, (_k, v) => (v && typeof v.$base64 === 'string' ? Buffer.from(v.$base64, 'base64') : v));
}

/** What a finding says with numbers and quoted names blanked: findings with the same key are one bug. */
function kindOf(target, problem) {
  return `${target}: ${problem.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 200)}`;
}

class Findings {
  constructor(dir) {
    this.dir = dir;
    this.byKind = new Map();
    this.total = 0;
  }

  record(target, index, testCase, problems, detail) {
    this.total++;
    const kind = kindOf(target, problems[0]);
    const seen = this.byKind.get(kind) ?? { count: 0, examples: [] };
    this.byKind.set(kind, seen);
    seen.count++;
    if (seen.examples.length >= EXAMPLES_PER_KIND) return;
    const id = createHash('sha256').update(kind).digest('hex').slice(0, 8);
    const where = join(this.dir, target, `${id}-case${index}`);
    seen.examples.push(where);
    mkdirSync(where, { recursive: true });
    writeFileSync(join(where, 'case.json'), encode(testCase));
    writeFileSync(join(where, 'what-happened.json'), JSON.stringify({ problems, detail }, (_k, v) => (v && v.type === 'Buffer' ? `<${v.data.length} bytes>` : v), 1));
    for (const [name, value] of Object.entries(testCase)) if (Buffer.isBuffer(value)) writeFileSync(join(where, `${name}.bin`), value);
    if (testCase.manifest) writeFileSync(join(where, 'manifest.jsonl.template'), `${testCase.manifest.body}${testCase.manifest.trailer ? `${JSON.stringify(testCase.manifest.trailer)}\n` : ''}`);
  }

  summary() {
    return [...this.byKind.entries()].map(([kind, { count, examples }]) => ({ kind, count, examples }));
  }
}

module.exports = { Findings, encode, decode };
