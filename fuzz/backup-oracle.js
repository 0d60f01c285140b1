'use strict';
// Judges one manifest or restore case: every failure is a documented
// LibrsyncError (or a Node fs error, which README allows for backups, and
// which is tallied rather than reported); nothing outside the TARGETs
// changed; a restore that succeeded wrote exactly what the manifest says;
// both backends restore alike; an edit that was not re-sealed is refused.
const { DOCUMENTED, checkError, isFsError } = require('./error-codes');

const BACKUP_CODES = ['BACKUP_CORRUPT', 'BACKUP_OBJECT_MISSING', 'BACKUP_CHAIN_BROKEN', 'BACKUP_NOT_FOUND', 'BACKUP_STORE_INVALID'];

function judgeBackup(c, result) {
  const problems = [];
  const fsErrors = [];
  const expected = c.options.paths ? [...BACKUP_CODES, 'RS_PARAM_ERROR'] : BACKUP_CODES;
  for (const [call, o] of Object.entries(result.calls)) {
    if (!o.ok) {
      if (isFsError(o.error)) fsErrors.push(`${call}: ${o.error.code} (${o.error.syscall})`);
      else problems.push(...checkError(o.error, call));
      if (o.error.librsync && !expected.includes(o.error.code) && o.error.code !== 'RS_INTERNAL_ERROR') {
        problems.push(`${call} failed with ${o.error.code}, not a BACKUP_ code for damage: ${o.error.message}`);
      }
    }
    for (const p of o.treeProblems ?? []) problems.push(`${call}: ${p}`);
  }
  const verify = result.calls.verify;
  if (verify.ok) {
    for (const p of verify.value.problems) if (!(p.code in DOCUMENTED)) problems.push(`verify reports undocumented code ${p.code}: ${p.message}`);
  }
  for (const change of result.outsideChanges) problems.push(`outside TARGET: ${change}`);
  const native = result.calls['restore-native'];
  const js = result.calls['restore-js'];
  if (native && js) {
    // Not the codes: restore works on several entries at once and reports the
    // first failure, so with two faults in a manifest either may win.
    if (native.ok !== js.ok) problems.push(`restore: ${native.ok ? 'native succeeds' : 'js succeeds'}, the other fails with ${(native.ok ? js : native).error.code}: ${(native.ok ? js : native).error.message}`);
    else if (native.ok && JSON.stringify(native.tree) !== JSON.stringify(js.tree)) problems.push('restore: the native and js backends restore different trees');
  }
  if (c.edited && !c.manifest.reseal) {
    if (verify.ok && verify.value.ok) problems.push('verify accepts a manifest edited without re-sealing');
    for (const r of [native, js]) if (r && r.ok && r.value.id === c.manifestId) problems.push('restore accepts a manifest edited without re-sealing');
    if (c.newest && c.options.level === undefined && result.calls.listFiles?.ok) problems.push('listFiles accepts a manifest edited without re-sealing');
  }
  return { problems, fsErrors };
}

module.exports = { judgeBackup };
