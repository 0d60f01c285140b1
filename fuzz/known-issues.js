'use strict';
// Open bugs the fuzzer finds and that are not fixed yet, so that a long run
// can go on past them: with --allow-known a problem matching one counts as
// "known", not as a finding, and a case that would hang on one (skip) is
// not run. Without the flag they are findings like any other. Delete an
// entry once its fix is in: from then on it is a regression.

/** The header and entries of a case's manifest (lines that do not parse are left out). */
function manifestOf(c) {
  const lines = [];
  for (const line of c.manifest.body.split('\n')) {
    try {
      lines.push(JSON.parse(line));
    } catch {
      // a broken line: not what these predicates look at
    }
  }
  const entries = lines.slice(1).filter((e) => e && typeof e === 'object' && !Array.isArray(e));
  return { header: lines[0] ?? {}, entries, trailer: c.manifest.trailer ?? {} };
}

/**
 * None open: K1-K12, found by the fuzzer in lib/backup, are fixed and
 * replayed by fuzz/backup-regressions.js. An entry is
 * { id, where, summary, applies(manifest), problem: RegExp, skip? }.
 */
const KNOWN = [];

/** The known issue a problem of this case is, if any. */
function knownIssueOf(c, problem) {
  if (!c.manifest) return undefined;
  const m = manifestOf(c);
  return KNOWN.find((k) => k.problem.test(problem) && k.applies(m));
}

/** A known issue that would hang this case: not run with --allow-known. */
function knownHang(c) {
  if (!c.manifest) return undefined;
  const m = manifestOf(c);
  return KNOWN.find((k) => k.skip && k.applies(m));
}

module.exports = { KNOWN, knownIssueOf, knownHang };
