'use strict';
// The speed benchmark's markdown: the table the README pastes between its
// <!-- speed-table --> markers, then how it was measured (command, machine)
// and issue 12's targets with met / missed.

// (-0.2).toFixed(0) is "-0"
const fixed = (v, digits) => (v === undefined || v === null ? '-' : v.toFixed(digits).replace(/^-(0(\.0*)?)$/, '$1'));
const sizeTitle = (mib) => (mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);

function speedTable(result) {
  const lines = [
    '| size | operation | implementation | median s | MB/s | x rdiff | cold s | peak RSS MiB | RSS growth MiB | loop p99 / max ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    const loop = r.loopP99Ms === undefined ? '-' : `${fixed(r.loopP99Ms, 1)} / ${fixed(r.loopMaxMs, 1)}`;
    lines.push(
      `| ${sizeTitle(r.sizeMiB)} | ${r.opTitle} | ${r.implTitle} | ${fixed(r.seconds, 3)} | ${fixed(r.mbPerSecond, 0)} | ${fixed(r.vsRdiff, 2)}x | ${fixed(r.coldSeconds, 3)} | ${fixed(r.peakRssMiB, 0)} | ${fixed(r.rssGrowthMiB, 0)} | ${loop} |`,
    );
  }
  return lines.join('\n');
}

function speedMarkdown(result) {
  const m = result.machine;
  const failed = result.checks.filter((c) => !c.ok);
  const out = [
    `# Speed: signature, delta and patch beside rdiff (${result.when.slice(0, 10)})`,
    '',
    failed.length
      ? `**FAILED: ${failed.length} output(s) differ from rdiff's or did not complete; these timings mean nothing.**`
      : `All ${result.checks.length} outputs checked: signatures and deltas byte-identical to rdiff's, patches identical to the new file.`,
    '',
    '<!-- speed-table -->',
    speedTable(result),
    '<!-- /speed-table -->',
    '',
    `Medians of ${result.runs} interleaved run(s). "x rdiff": rdiff's median time over this row's (above 1 = faster). ` +
      'Library rows run the README quick start (stream pipelines, default 64 KiB reads) in a process of their own; ' +
      'their time is the second (warm) use in that process, "cold" the first. Every output is fsync\'ed inside the timing ' +
      '(rdiff is followed by `sync FILE`). The CLI and rdiff rows are whole processes, startup included. ' +
      'RSS growth is the peak RSS over that of an idle process of the same implementation; the event-loop delay is ' +
      'monitorEventLoopDelay (1 ms resolution, so an idle loop shows about 1.1 ms) over the warm run, p99 and max of the worst run.',
    '',
    `Command: \`${result.command}\``,
    '',
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, librsync ${m.librsync} (addon), ${m.rdiff}, UV_THREADPOOL_SIZE ${m.threadPool}, commit ${m.commit}.`,
    '',
    "## Issue 12's targets",
    '',
    '| target | size | value | |',
    '|---|---|---|---|',
    ...result.targets.map((t) => `| ${t.target} | ${sizeTitle(t.sizeMiB)} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`),
  ];
  if (failed.length) {
    out.push('', '## Failed checks', '');
    for (const c of failed) out.push(`- ${sizeTitle(c.sizeMiB)} ${c.op} ${c.impl} run ${c.run}: ${c.detail}`);
  }
  return out.join('\n') + '\n';
}

module.exports = { speedMarkdown, speedTable, sizeTitle, fixed };
