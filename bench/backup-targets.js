'use strict';
// Issue 13's targets, as ratios within one run of the backup benchmark:
// ours against the fastest peer of the same step, against restic's and
// borg's stored bytes, and against our own restore of level 0 and our own
// peak RSS on the 1,000-file tree. A target whose comparison did not run
// (no peer, a failed step) is reported with met: null.

const PEER_TIME_TARGETS = [
  { part: 'main', step: 'level 0', max: 0.7 },
  { part: 'main', step: 'level 1', max: 0.5 },
  { part: 'main', step: 'no-change level', max: 1.0 },
  { part: 'main', step: 'restore newest', max: 0.7 },
  { part: 'small', step: 'level 0', max: 1.0 },
  { part: 'small', step: 'no-change level', max: 1.0 },
  { part: 'small', step: 'restore newest', max: 1.0 },
];
const STORED_VS = ['restic', 'borg'];
const STORED_MAX = 0.1;
const CHAIN_RESTORE_MAX = 1.3;
const SMALL_RSS_MAX = 1.5;

const ok = (r) => r && !r.error;
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

/** The fastest successful peer row of a step, or undefined. */
function fastestPeer(rows, part, step) {
  const peers = rows.filter((r) => r.part === part && r.step === step && r.tool !== 'ours' && ok(r));
  return peers.reduce((a, b) => (a && a.wallS <= b.wallS ? a : b), undefined);
}

/** [{ target, value, met }] (met true, false or null when it could not be evaluated). */
function evaluateBackupTargets(rows, settings) {
  const find = (part, step, tool) => rows.find((r) => r.part === part && r.step === step && r.tool === tool);
  const out = [];
  const add = (target, value, met) => out.push({ target, value, met });
  for (const t of PEER_TIME_TARGETS) {
    if (!rows.some((r) => r.part === t.part)) continue;
    const target = `${t.part}: ${t.step} <= ${t.max.toFixed(1)}x the fastest peer's wall time`;
    const ours = find(t.part, t.step, 'ours');
    const peer = fastestPeer(rows, t.part, t.step);
    if (!ok(ours) || !peer) add(target, ok(ours) ? 'no peer ran' : 'ours did not run', null);
    else add(target, `${ratio(ours.wallS, peer.wallS)} (${ours.wallS.toFixed(2)} s vs ${peer.tool} ${peer.wallS.toFixed(2)} s)`, ours.wallS <= t.max * peer.wallS);
  }
  if (rows.some((r) => r.part === 'main')) {
    const ours = find('main', 'level 1', 'ours');
    for (const peer of STORED_VS) {
      const target = `main: level-1 stored bytes <= ${STORED_MAX}x ${peer}'s`;
      const theirs = find('main', 'level 1', peer);
      if (!ok(ours) || !ok(theirs)) add(target, ok(ours) ? `${peer} did not run` : 'ours did not run', null);
      else add(target, `${ratio(ours.storedBytes, theirs.storedBytes)} (${ours.storedBytes} vs ${theirs.storedBytes} bytes)`, ours.storedBytes <= STORED_MAX * theirs.storedBytes);
    }
  }
  if (rows.some((r) => r.part === 'chain')) {
    const target = `chain: restore of level ${settings.levels} <= ${CHAIN_RESTORE_MAX}x our restore of level 0`;
    const newest = find('chain', `restore level ${settings.levels}`, 'ours');
    const level0 = find('chain', 'restore level 0', 'ours');
    if (!ok(newest) || !ok(level0)) add(target, 'ours did not run', null);
    else add(target, `${ratio(newest.wallS, level0.wallS)} (${newest.wallS.toFixed(2)} s vs ${level0.wallS.toFixed(2)} s)`, newest.wallS <= CHAIN_RESTORE_MAX * level0.wallS);
  }
  if (rows.some((r) => r.part === 'small')) {
    const target = `small: our peak RSS on ${settings.files} files <= ${SMALL_RSS_MAX}x that on ${settings.referenceFiles}`;
    const peak = (part) => {
      const ours = rows.filter((r) => r.part === part && r.tool === 'ours');
      return ours.length && ours.every(ok) ? Math.max(...ours.map((r) => r.peakRssMiB)) : undefined;
    };
    const big = peak('small');
    const reference = peak('small-reference');
    if (big === undefined || reference === undefined) add(target, 'ours did not run', null);
    else add(target, `${ratio(big, reference)} (${big.toFixed(0)} MiB vs ${reference.toFixed(0)} MiB)`, big <= SMALL_RSS_MAX * reference);
  }
  return out;
}

module.exports = { evaluateBackupTargets, fastestPeer };
