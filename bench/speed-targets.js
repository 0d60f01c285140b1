'use strict';
// Issue 12's targets, as ratios to rdiff in the same run (above 1 = faster),
// and the per-process limits every library row must keep, checked against
// a finished run's rows: each target for each file size, met or missed.

const RATIO_TARGETS = [
  { impl: 'native-parallel', op: 'signature', min: 1.8 },
  { impl: 'native-serial', op: 'signature', min: 1.0 },
  { impl: 'native-serial', op: 'delta-edited', min: 1.0 },
  { impl: 'native-serial', op: 'delta-unrelated', min: 1.0 },
  { impl: 'native-parallel', op: 'delta-edited', min: 1.6 },
  { impl: 'native-parallel', op: 'delta-unrelated', min: 1.6 },
  { impl: 'native-serial', op: 'patch', min: 1.0 },
  { impl: 'native-parallel', op: 'patch', min: 1.0 },
  { impl: 'js', op: 'signature', min: 1.0 },
  { impl: 'js', op: 'delta-edited', min: 0.6 },
  { impl: 'js', op: 'delta-unrelated', min: 1.0 },
  { impl: 'js', op: 'patch', min: 0.9 },
];

/** Largest peak-RSS growth over an idle process, and event-loop delay p99 below this, for every library row. */
const RSS_GROWTH_MAX_MIB = 32;
const LOOP_P99_BELOW_MS = 10;

/** [{ target, sizeMiB, value, met, row }] for the implementations and sizes the run had. */
function evaluateTargets(rows, sizes) {
  const results = [];
  for (const sizeMiB of sizes) {
    const ofSize = rows.filter((r) => r.sizeMiB === sizeMiB);
    for (const t of RATIO_TARGETS) {
      const row = ofSize.find((r) => r.impl === t.impl && r.op === t.op);
      if (!row) continue;
      results.push({ target: `${t.impl} ${t.op} >= ${t.min.toFixed(1)}x rdiff`, sizeMiB, value: `${row.vsRdiff.toFixed(2)}x`, met: row.vsRdiff >= t.min });
    }
    const library = ofSize.filter((r) => r.rssGrowthMiB !== undefined && r.impl !== 'rdiff');
    const worst = (key) => library.reduce((a, b) => (b[key] > a[key] ? b : a));
    if (library.length) {
      const growth = worst('rssGrowthMiB');
      results.push({
        target: `peak RSS growth <= ${RSS_GROWTH_MAX_MIB} MiB (worst row)`,
        sizeMiB,
        value: `${growth.rssGrowthMiB.toFixed(0)} MiB (${growth.impl} ${growth.op})`,
        met: growth.rssGrowthMiB <= RSS_GROWTH_MAX_MIB,
      });
    }
    const timed = library.filter((r) => r.loopP99Ms !== undefined);
    if (timed.length) {
      const loop = timed.reduce((a, b) => (b.loopP99Ms > a.loopP99Ms ? b : a));
      results.push({
        target: `event-loop delay p99 < ${LOOP_P99_BELOW_MS} ms (worst row)`,
        sizeMiB,
        value: `${loop.loopP99Ms.toFixed(1)} ms (${loop.impl} ${loop.op})`,
        met: loop.loopP99Ms < LOOP_P99_BELOW_MS,
      });
    }
  }
  return results;
}

module.exports = { evaluateTargets, RATIO_TARGETS, RSS_GROWTH_MAX_MIB, LOOP_P99_BELOW_MS };
