'use strict';
// Open bugs in lib/backup/ that the fuzzer finds and that are reported to
// the engine's owner rather than fixed here. With --allow-known (what the
// jest self-test uses) a problem matching one of them counts as "known",
// not as a finding, and is printed as such; a case that would hang on one
// (K7) is not run. Without the flag they are findings like any other.
// Delete an entry once its fix is in: from then on it is a regression.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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

const isNumber = (v) => typeof v === 'number';
const outsideInt64 = (s) => {
  try {
    const n = BigInt(s);
    return n < INT64_MIN || n > INT64_MAX;
  } catch {
    return false;
  }
};
const badDate = (s) => s !== undefined && Number.isNaN(new Date(s).getTime());
const unsafeKey = (s) => typeof s === 'string' && (s === '' || s.startsWith('/') || s.includes('\u0000') || s.split('/').some((p) => p === '' || p === '.' || p === '..'));

const KNOWN = [
  {
    id: 'K1',
    where: 'lib/backup/restore.ts, restore-metadata.ts',
    summary: "restore hard-links a file entry to a symlink (or FIFO) entry named by linkTo when both carry the same sha256, then chmod/utimes follow the link: a file outside TARGET gets the entry's mode and mtime",
    applies: ({ entries }) => entries.some((f) => f.type === 'file' && typeof f.linkTo === 'string' && entries.some((e) => e.path === f.linkTo && e.type !== 'file')),
    problem: /outside TARGET|is a (symlink|fifo|dir) in TARGET, a file in the manifest|ENOENT|restore different trees/,
  },
  {
    id: 'K2',
    where: 'lib/backup/manifest.ts (validateEntry), restore-metadata.ts',
    summary: 'a mode from 2^31 to 2^32-1 aborts the whole process (Node asserts in fs.promises.chmod); from 2^32 up it is an untyped RangeError',
    applies: ({ entries }) => entries.some((e) => isNumber(e.mode) && e.mode >= 2 ** 31),
    problem: /worker died \(SIGABRT\)|"mode" is out of range/,
  },
  {
    id: 'K3',
    where: 'lib/backup/manifest.ts (validateEntry), restore-metadata.ts',
    summary: 'as root, a uid or gid from 2^32 up is an untyped RangeError from lchown, and 2^32-1 (chown\'s "leave alone") restores without setting the owner',
    applies: ({ entries }) => entries.some((e) => (isNumber(e.uid) && e.uid >= 2 ** 32 - 1) || (isNumber(e.gid) && e.gid >= 2 ** 32 - 1)),
    problem: /"uid" is out of range|"gid" is out of range|is owned by/,
  },
  {
    id: 'K4',
    where: 'lib/backup/manifest.ts (validateEntry), lib/file-times.ts',
    summary: 'an mtimeNs outside 64 bits (a string, or a number: the pattern check stringifies it) passes validation and setFileTimes throws a TypeError (code RS_PARAM_ERROR, not a LibrsyncError)',
    applies: ({ entries }) => entries.some((e) => (typeof e.mtimeNs === 'string' || isNumber(e.mtimeNs)) && outsideInt64(String(e.mtimeNs))),
    problem: /mtimeNs is out of range/,
  },
  {
    id: 'K5',
    where: 'lib/backup/manifest.ts (validateEntry)',
    summary: 'a symlink target holding a NUL byte passes validation; symlink() throws an untyped TypeError (ERR_INVALID_ARG_VALUE)',
    applies: ({ entries }) => entries.some((e) => typeof e.target === 'string' && e.target.includes('\u0000')),
    problem: /ERR_INVALID_ARG_VALUE/,
  },
  {
    id: 'K6',
    where: 'lib/backup/restore.ts',
    summary: 'a recipe that is not an array on a non-file entry passes validation; restore iterates it: untyped TypeError',
    applies: ({ entries }) => entries.some((e) => e.type !== 'file' && e.recipe !== undefined && e.recipe !== null && !Array.isArray(e.recipe)),
    problem: /is not iterable/,
  },
  {
    id: 'K7',
    where: 'lib/backup/catalog.ts (ancestry)',
    summary: "a header whose parent is itself or a later backup (a cycle) makes ancestry() loop for ever: restore and verify hang, memory growing",
    applies: ({ header }) => typeof header.parent === 'string' && /^\d{6,}-L\d+$/.test(header.parent) && Number(header.parent.split('-')[0]) >= header.sequence,
    problem: /hang/,
    skip: true,
  },
  {
    id: 'K8',
    where: 'lib/backup/catalog.ts, list.ts',
    summary: "a trailer 'finished' (or header 'started') that is not a date makes list() throw an untyped RangeError (Invalid time value)",
    applies: ({ header, trailer }) => badDate(trailer.finished) || badDate(header.started),
    problem: /Invalid time value/,
  },
  {
    id: 'K9',
    where: 'lib/backup/file-rebuild.ts, local-store.ts',
    summary: "a recipe step or signature naming an unsafe pack or backup ('..', '', '/x') fails with RS_PARAM_ERROR (invalid store key) rather than BACKUP_CORRUPT; one holding a NUL byte with an untyped TypeError from open()",
    applies: ({ entries }) => entries.some((e) => [...(Array.isArray(e.recipe) ? e.recipe : []), e.signature].some((r) => r && (unsafeKey(r.pack) || unsafeKey(r.backup)))),
    problem: /invalid store key|ERR_INVALID_ARG_VALUE\): The argument 'path'/,
  },
  {
    id: 'K10',
    where: 'lib/backup/manifest.ts (validateEntry)',
    summary: 'linkTo: null (or another non-string) reaches isSafeRelativePath: untyped TypeError in listFiles, verify and restore',
    applies: ({ entries }) => entries.some((e) => 'linkTo' in e && typeof e.linkTo !== 'string'),
    problem: /Cannot read properties of null|is not a function|\.split is not/,
  },
  {
    id: 'K11',
    where: 'lib/backup/manifest.ts (validateHeader), list.ts, restore.ts',
    summary: "a header whose 'source' is not an object (null) passes validation: list() and restore throw an untyped TypeError reading source.path / source.kind",
    applies: ({ header }) => !header.source || typeof header.source !== 'object',
    problem: /reading 'path'|reading 'kind'/,
  },
  {
    id: 'K12',
    where: 'lib/backup/manifest-reader.ts',
    summary: 'a valid trailer line followed by another trailer line: the reader finalizes its digest at the first and updates it at the second: untyped Error ERR_CRYPTO_HASH_FINALIZED (Digest already called) from listFiles, verify and restore',
    applies: ({ entries }) => entries.some((e) => e.end === true),
    problem: /Digest already called/,
  },
];

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
