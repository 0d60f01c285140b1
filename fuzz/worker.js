'use strict';
// The process cases run in. The parent forks it, sends one case at a time
// and waits; if this process aborts, segfaults, hangs or grows past the
// memory limit, the parent sees it, records the case and forks another.
const { runRsyncCase } = require('./run-rsync-case');
const { runBackupCase } = require('./run-backup-case');

const scratch = process.argv[2];

/** IPC delivers Uint8Arrays; the library is given Buffers, as callers would. */
function buffers(value) {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(buffers);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, buffers(v)]));
  return value;
}

process.on('message', async ({ id, testCase }) => {
  const c = buffers(testCase);
  let result;
  try {
    result = c.target === 'manifest' || c.target === 'restore' ? await runBackupCase(c, scratch) : await runRsyncCase(c, scratch);
  } catch (err) {
    // The runner itself failed: report it as a finding, not as a crash.
    result = { harnessError: String((err && err.stack) || err) };
  }
  const mem = process.memoryUsage();
  process.send({ id, result, rss: mem.rss, heapUsed: mem.heapUsed });
});

process.send({ ready: true });
