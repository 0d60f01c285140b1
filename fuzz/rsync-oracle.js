'use strict';
// Judges one loadsig / delta / signature / patch case: every failure is a
// documented LibrsyncError for that operation; both backends accept or
// reject alike with the same code and, when they accept, write the same
// bytes; compareSignatures fails as loading does; and where rdiff was run,
// its exit status (and output) agree except where README says we are
// stricter. Returns the problems found (none: the case passed).
const { checkError } = require('./error-codes');

/** The one documented difference (README, Backends): maxOutput and a COPY past the basis. */
function knownDifference(c, native, js) {
  return (
    c.target === 'patch' &&
    c.maxOutput !== undefined &&
    native.error?.code === 'RS_OUTPUT_LIMIT' &&
    js.error?.code === 'RS_COPY_OUT_OF_RANGE'
  );
}

function operationOf(c, outcome) {
  if (c.target === 'delta' && c.kind !== 'signature') return outcome.stage === 'loadsig' ? 'loadsig' : 'delta';
  return c.kind === 'signature' ? 'signature' : c.target;
}

function sameInfo(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function judgeRsync(c, result) {
  const problems = [];
  const { native, js } = result.backends;
  for (const [backend, o] of Object.entries(result.backends)) {
    if (!o.ok) for (const p of checkError(o.error, operationOf(c, o))) problems.push(`[${backend}] ${p}`);
    if (o.ok && o.selfPatch && !o.selfPatch.ok) problems.push(`[${backend}] its own delta does not patch onto a basis of blockCount x blockLength: ${o.selfPatch.error.code} ${o.selfPatch.error.message}`);
    if (o.ok && o.readBack && !o.readBack.ok) problems.push(`[${backend}] its own signature does not load: ${o.readBack.error.code}`);
    if (o.ok && o.readBack?.ok) {
      const p = c.params;
      const got = o.readBack;
      if ((p.blockLength > 0 && got.blockLength !== p.blockLength) || (p.strongLength > 0 && got.strongLength !== p.strongLength)) {
        problems.push(`[${backend}] a signature asked with ${JSON.stringify(p)} loads back as ${JSON.stringify(got)}`);
      }
    }
    if (o.ok && c.target === 'patch' && c.maxOutput !== undefined && o.length > c.maxOutput) problems.push(`[${backend}] wrote ${o.length} bytes past maxOutput ${c.maxOutput}`);
  }
  if (native.ok !== js.ok) {
    const failed = native.ok ? js : native;
    problems.push(`backends disagree: ${native.ok ? 'native accepts' : 'js accepts'}, ${native.ok ? 'js' : 'native'} fails with ${failed.error.code} (${failed.error.message})`);
  } else if (!native.ok) {
    if (native.error.code !== js.error.code && !knownDifference(c, native, js)) {
      problems.push(`backends fail with different codes: native ${native.error.code}, js ${js.error.code} (${js.error.message})`);
    }
  } else {
    if (native.info && !sameInfo(native.info, js.info)) problems.push(`backends load different sets: native ${JSON.stringify(native.info)}, js ${JSON.stringify(js.info)}`);
    // README: a slack delta (empty signature) follows the buffer sizes; it must still patch back to the data.
    const slack = c.kind === 'delta' && native.info.blockCount === 0;
    if (slack) {
      for (const [backend, o] of Object.entries(result.backends)) if (o.selfPatch?.ok && o.selfPatch.sha256 !== c.dataSha256) problems.push(`[${backend}] its slack delta does not patch back to the new data`);
    } else if (native.sha256 !== undefined && native.sha256 !== js.sha256) problems.push(`backends write different bytes: native ${native.length} bytes, js ${js.length} bytes`);
  }
  if (result.compare) problems.push(...judgeCompare(result.compare, native));
  if (result.seedCompare) problems.push(...judgeSeedCompare(c, result.seedCompare, native));
  if (result.rdiff) problems.push(...judgeRdiff(c, result.rdiff, native));
  return problems;
}

/** compareSignatures(x, x) must fail exactly as loading x does, and otherwise find every block. */
function judgeCompare(compare, load) {
  const problems = [];
  if (!compare.ok) problems.push(...checkError(compare.error, 'compare'));
  if (compare.ok !== load.ok) return [...problems, `compareSignatures ${compare.ok ? 'accepts' : `fails with ${compare.error.code}`} where loadSignature ${load.ok ? 'accepts' : `fails with ${load.error.code}`}`];
  if (!compare.ok) {
    if (compare.error.code !== load.error.code) problems.push(`compareSignatures fails with ${compare.error.code}, loadSignature with ${load.error.code}`);
    return problems;
  }
  const i = compare.info;
  const n = load.info.blockCount;
  if (i.oldBlocks !== n || i.newBlocks !== n || i.matchedBlocks !== n || i.blockLength !== load.info.blockLength || i.strongLength !== load.info.strongLength) {
    problems.push(`compareSignatures of a signature with itself: ${JSON.stringify(i)}, loaded ${JSON.stringify(load.info)}`);
  }
  return problems;
}

/**
 * compareSignatures(seed, x): RS_SIGNATURE_MISMATCH exactly when x's header
 * (once whole and valid) has another magic or block length than the seed's,
 * even if x is cut short later; otherwise x's own failure, or success.
 */
function judgeSeedCompare(c, compare, load) {
  const magicOf = (b) => b.readUInt32BE(0) || 0x72730147; // 0 is librsync's default
  const headerOk = load.ok || (load.error.code === 'RS_INPUT_ENDED' && c.sig.length >= 12);
  const comparable = headerOk && magicOf(c.original) === magicOf(c.sig) && c.original.readUInt32BE(4) === c.sig.readUInt32BE(4);
  const expected = headerOk && !comparable ? 'RS_SIGNATURE_MISMATCH' : load.ok ? 'ok' : load.error.code;
  const code = compare.ok ? 'ok' : compare.error.code;
  if (code !== expected) return [`compareSignatures(seed, x) gives ${code}, expected ${expected} (loading x: ${load.ok ? 'ok' : load.error.code})`];
  if (compare.ok && compare.info.newBlocks !== load.info.blockCount) return [`compareSignatures(seed, x) sees ${compare.info.newBlocks} blocks in x, loading it ${load.info.blockCount}`];
  return [];
}

function judgeRdiff(c, rdiff, ours) {
  // rdiff dying (it aborts when it cannot allocate) is rdiff's business; run.js counts it.
  if (rdiff.signal) return [];
  const code = ours.ok ? undefined : ours.error.code;
  const expected = ours.ok ? 0 : ours.error.result;
  if (rdiff.status !== expected) return [`rdiff exits ${rdiff.status} (${rdiff.args.join(' ')}), we ${ours.ok ? 'succeed' : `fail with ${code} (${expected})`}`];
  if (!ours.ok || !rdiff.output || ours.sha256 === undefined) return [];
  const slack = c.kind === 'delta' && ours.info && ours.info.blockCount === 0; // README: slack deltas follow the slicing
  if (!slack && rdiff.output.sha256 !== ours.sha256) return [`rdiff writes ${rdiff.output.length} bytes, we write ${ours.length} different ones`];
  return [];
}

module.exports = { judgeRsync };
