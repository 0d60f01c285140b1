'use strict';
// The error codes README.md documents, with their `result`: anything else
// (or the right code with the wrong result) is a finding.

const DOCUMENTED = {
  RS_INPUT_ENDED: 103,
  RS_BAD_MAGIC: 104,
  RS_CORRUPT: 106,
  RS_COPY_OUT_OF_RANGE: 106,
  RS_BLOCK_TOO_LONG: 106,
  RS_OUTPUT_LIMIT: 108,
  RS_PARAM_ERROR: 108,
  RS_SIGNATURE_MISMATCH: 108,
  RS_BASIS_CHANGED: 100,
  RS_IO_ERROR: 100,
  RS_MEM_ERROR: 102,
  RS_INTERNAL_ERROR: 107,
  RS_ADDON_UNAVAILABLE: 107,
  BACKUP_CORRUPT: 106,
  BACKUP_OBJECT_MISSING: 106,
  BACKUP_CHAIN_BROKEN: 106,
  BACKUP_NOT_FOUND: 100,
  BACKUP_NAME_REQUIRED: 108,
  BACKUP_LOCKED: 100,
  BACKUP_STORE_INVALID: 104,
  BACKUP_SOURCE_UNSUPPORTED: 108,
  TARGET_NOT_EMPTY: 100,
};

/** Codes each operation may fail with on hostile input (README: what each one means). */
const EXPECTED = {
  loadsig: ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_BLOCK_TOO_LONG', 'RS_PARAM_ERROR'],
  compare: ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_BLOCK_TOO_LONG', 'RS_PARAM_ERROR'],
  delta: [], // a delta against a signature that loaded cannot fail
  signature: [],
  patch: ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_COPY_OUT_OF_RANGE', 'RS_OUTPUT_LIMIT'],
};

/** Problems with one error report (from describeError), or [] when it is a documented, expected failure. */
function checkError(error, operation) {
  const problems = [];
  if (!error.librsync) {
    problems.push(`${operation} threw an untyped ${error.name} (code ${error.code}): ${error.message}`);
    return problems;
  }
  if (!(error.code in DOCUMENTED)) problems.push(`${operation} failed with undocumented code ${error.code}: ${error.message}`);
  else if (DOCUMENTED[error.code] !== error.result) problems.push(`${operation}: ${error.code} has result ${error.result}, README says ${DOCUMENTED[error.code]}`);
  if (error.code === 'RS_INTERNAL_ERROR') problems.push(`${operation} failed with RS_INTERNAL_ERROR: ${error.message}`);
  else if (EXPECTED[operation] && !EXPECTED[operation].includes(error.code)) problems.push(`${operation} failed with ${error.code}, not a code this operation should give: ${error.message}`);
  return problems;
}

/** A Node fs error (README allows them where files are involved): ENOENT, EACCES, ... with a syscall. */
function isFsError(error) {
  return !error.librsync && typeof error.code === 'string' && /^E[A-Z0-9]+$/.test(error.code) && error.syscall !== undefined;
}

module.exports = { DOCUMENTED, EXPECTED, checkError, isFsError };
