'use strict';
// The backup benchmark's markdown: a summary table per part (the main one
// between <!-- backup-table --> markers, for the README), every step with
// its CPU time, stored bytes, objects and restore check, issue 13's targets
// met or missed, and how it was measured.
const { fixed } = require('./speed-report');

const mib = (bytes) => (bytes === undefined ? '-' : `${fixed(bytes / 2 ** 20, 1)} MiB`);
const seconds = (row) => (!row ? '-' : row.error ? 'failed' : `${fixed(row.wallS, 2)} s`);

function checkText(restore) {
  if (!restore) return '';
  if (!restore.identical) return `**DIFFERS**: ${restore.first}`;
  const extra = [restore.modes ? 'modes' : 'modes differ', restore.mtimes ? 'mtimes' : 'mtimes differ'];
  return `identical (${extra.join(', ')})${restore.modes && restore.mtimes ? '' : `: ${restore.first}`}`;
}

/** A summary table: one row per tool, one column per [title, cell(rowsOfTool)]. */
function summary(result, part, columns) {
  const lines = [`| tool | ${columns.map((c) => c[0]).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`];
  for (const tool of result.tools) {
    const rows = result.rows.filter((r) => r.part === part && r.tool === tool.id);
    if (!rows.length) continue;
    const at = (step) => rows.find((r) => r.step === step);
    const title = `${tool.title}${result.machine.versions[tool.id] ? ` <sub>${result.machine.versions[tool.id]}</sub>` : ''}`;
    lines.push(`| ${title} | ${columns.map((c) => c[1](at, rows)).join(' | ')} |`);
  }
  for (const id of result.absent) lines.push(`| ${id} | ${columns.map(() => 'absent').join(' | ')} |`);
  return lines.join('\n');
}

const peakRss = (at, rows) => (rows.some((r) => r.error) ? '-' : `${fixed(Math.max(...rows.map((r) => r.peakRssMiB)), 0)} MiB`);

function backupTable(result) {
  return summary(result, 'main', [
    ['level 0', (at) => seconds(at('level 0'))],
    ['level 1', (at) => seconds(at('level 1'))],
    ['stored by level 1', (at) => (at('level 1')?.error ? '-' : mib(at('level 1')?.storedBytes))],
    ['no-change level', (at) => seconds(at('no-change level'))],
    ['restore newest', (at) => seconds(at('restore newest'))],
    ['peak RSS', peakRss],
  ]);
}

function backupMarkdown(result) {
  const s = result.settings;
  const n = result.notes;
  const failures = result.rows.filter((r) => r.error || (r.restore && !r.restore.identical));
  const restores = result.rows.filter((r) => r.restore);
  const out = [`# Backups beside rdiff-backup, duplicity, restic and borg (${result.when.slice(0, 10)})`, ''];
  out.push(
    failures.length
      ? `**FAILED: ${failures.length} step(s) failed or restored something else than the source; these numbers mean little.**`
      : `All ${result.rows.length} steps completed; all ${restores.length} restores checked identical to their source, file by file (SHA-256 of every byte).`,
  );
  if (result.absent.length) out.push('', `**Absent** (not installed, not run): ${result.absent.join(', ')}.`);
  if (n.main) {
    out.push('', `## Main tree: ${n.main.files} files, ${mib(n.main.bytes)}`, '');
    out.push(
      `Level 1 after ${mib(n.main.changed.bytes)} changed in ${n.main.changed.files} files (40 x 4 KiB in place in the two images, a 100-byte insert at the start of one file, 5000-byte inserts in the middle of 20); "stored" is the growth of the store directory.`,
      '',
      '<!-- backup-table -->',
      backupTable(result),
      '<!-- /backup-table -->',
    );
  }
  if (n.small) {
    out.push('', `## Small files: ${n.small.files} files of 256 B to 4 KiB`, '');
    out.push(
      summary(result, 'small', [
        ['level 0', (at) => seconds(at('level 0'))],
        ['no-change level', (at) => seconds(at('no-change level'))],
        ['restore newest', (at) => seconds(at('restore newest'))],
        ['stored by level 0', (at) => (at('level 0')?.error ? '-' : mib(at('level 0')?.storedBytes))],
        ['peak RSS', peakRss],
      ]),
    );
    out.push('', `Ours on ${n.small.referenceFiles} such files, for the RSS target: see "Every step" (part small-reference).`);
  }
  if (n.chain) {
    const later = (rows) => rows.filter((r) => /^level [1-9]/.test(r.step));
    out.push('', `## Deep chain: one ${mib(n.chain.bytes)} file, 40 x 4 KiB changed in place before each of ${n.chain.levels} levels`, '');
    out.push(
      summary(result, 'chain', [
        ['level 0', (at) => seconds(at('level 0'))],
        [`levels 1-${n.chain.levels}, mean`, (at, rows) => (later(rows).some((r) => r.error) ? 'failed' : `${fixed(later(rows).reduce((t, r) => t + r.wallS, 0) / later(rows).length, 2)} s`)],
        [`stored by levels 1-${n.chain.levels}`, (at, rows) => (later(rows).some((r) => r.error) ? '-' : mib(later(rows).reduce((t, r) => t + r.storedBytes, 0)))],
        [`restore level ${n.chain.levels}`, (at) => seconds(at(`restore level ${n.chain.levels}`))],
        ['restore level 0', (at) => seconds(at('restore level 0'))],
        ['peak RSS', peakRss],
      ]),
    );
  }
  out.push('', '## Every step', '', '| part | step | tool | wall s | CPU s (user+sys) | peak RSS MiB | stored | objects written | restore |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of result.rows) {
    if (r.error) out.push(`| ${r.part} | ${r.step} | ${r.tool} | failed | | | | | ${r.error.replace(/\|/g, '/')} |`);
    else out.push(`| ${r.part} | ${r.step} | ${r.tool} | ${fixed(r.wallS, 2)} | ${fixed(r.cpuS, 2)} | ${fixed(r.peakRssMiB, 0)} | ${r.storedBytes === undefined ? '' : mib(r.storedBytes)} | ${r.objects ?? ''} | ${checkText(r.restore)} |`);
  }
  out.push('', "## Issue 13's targets", '', '| target | value | |', '|---|---|---|');
  for (const t of result.targets) out.push(`| ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**missed**'} |`);
  const m = result.machine;
  out.push(
    '',
    '## How',
    '',
    'Every step is one process under `/usr/bin/time -v` (wall time from the parent, user+system CPU and peak RSS of the process and its children); every tool does a step before the tree changes for the next. ' +
      'Stored bytes and objects written are the growth of the store directory (file sizes summed, files counted; caches kept outside the store are not counted). ' +
      'The page cache is warm: the trees are written just before and not dropped from the cache. Restores are checked file by file against the source (paths, sizes, SHA-256 of the bytes, modes, mtimes to the second). ' +
      'Ours is the CLI (`librsync backup SOURCE STORE`, `librsync restore STORE TARGET`); restic encrypts (password from a file), duplicity runs with `--no-encryption`, borg with `--encryption none` and lz4.',
    '',
    `Command: \`${result.command}\` (${fixed(result.seconds, 0)} s in all)`,
    '',
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, commit ${m.commit}. Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
  );
  if (result.installLog.length) out.push('', `Installed in this run: ${result.installLog.join('; ')}.`);
  if (failures.length) {
    out.push('', '## Failures', '');
    for (const r of failures) out.push(`- ${r.part} ${r.step} ${r.tool}: ${r.error ?? r.restore.first}`);
  }
  return out.join('\n') + '\n';
}

module.exports = { backupMarkdown, backupTable };
