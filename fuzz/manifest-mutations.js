'use strict';
// Hostile edits of a backup manifest, made on its JSON lines and then
// (usually) re-sealed so they get past the digest: unsafe paths, entries
// beneath a symlink, hard links to symlinks, directories, missing or later
// paths, recipes pointing at other backups, packs or byte ranges, numbers
// past every limit, wrong types for every field, a header whose parent is
// itself, broken lines. '@SANDBOX@' in a string stands for the directory
// the restore runs in (see run-backup-case.js), so symlinks can aim at the
// sentinel files beside TARGET.
const { comparePaths: compareStrings } = require('../dist/backup/path-order.js');
const { parseManifest } = require('./manifest-seal');

const SANDBOX = '@SANDBOX@';
const WRONG_VALUES = [null, true, false, 0, -1, 1.5, 2 ** 32, 2 ** 53, 1e300, 'x', '', '0', [], {}, [1], { a: 1 }, '\u0000'];
const BIG_NUMBERS = [-1, -0.5, 0.5, 1.5, 0o7777, 0o170777, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 0o644, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 2 ** 64, 1e21, Number.MAX_VALUE, -(2 ** 53)];
const NS_VALUES = [
  '-1', '0', '-1000000001', '-99999999999999999999', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '-9223372036854775809', '18446744073709551616', '99999999999999999999999999', '1.5', '', 'abc', '1e9', ' 1', '0x10', '-0', '253402300800000000000',
];
const ENTRY_FIELDS = ['path', 'type', 'mode', 'uid', 'gid', 'mtimeNs', 'ctimeNs', 'ino', 'size', 'sha256', 'recipe', 'signature', 'target', 'linkTo', 'hardLinked', 'links', 'read', 'unstable'];
const TYPES = ['file', 'dir', 'symlink', 'fifo', 'deleted', 'socket', 'FILE', ''];
const BACKUP_IDS = ['000000-L0', '000001-L1', '000002-L2', '000003-L3', '000002-L1', 'other', '..', '', '../000000-L0', '000000-L0/..'];
const PACKS = ['d000001.pack', 's000001.pack', 'manifest.jsonl', 'd000002.pack', '../000000-L0/d000001.pack', 'a/b', '..', '.', '', '/etc/passwd', 'x\u0000y'];

/** Manifest order, for paths a mutation may have made into other types. */
function comparePaths(a, b) {
  return compareStrings(String(a), String(b));
}

function depthOf(path) {
  return path === '' ? 0 : String(path).split('/').length;
}

/**
 * Symlink targets that reach outside TARGET from `path` (relative ones
 * climb out exactly to the sandbox). Only ever into the sandbox: the fuzzer
 * may run as root, and a followed link to '/' would change the machine.
 */
function escapingTargets(path) {
  const up = '../'.repeat(depthOf(path));
  return [
    `${up}../sentinel/file`, `${up}../sentinel/dir`, `${up}../file-beside`, `${up}../dir-beside`,
    `${SANDBOX}/sentinel/file`, `${SANDBOX}/sentinel/dir`, `${SANDBOX}/file-beside`, `${SANDBOX}/dir-beside`,
    '..', '', 'x\u0000y', 'a'.repeat(5000),
  ];
}

function hostilePaths(rng) {
  return [
    '..', '../x', '../../sentinel/file', '/abs', `${SANDBOX}/sentinel/file`, 'a/../b', 'a//b', './x', 'x/', '.', '', 'x\u0000y',
    'a'.repeat(300), `${'d/'.repeat(2100)}x`, 'é', '\\..\\x', 'dir/link/x', 'z-link-dir/x', 'z-link-dir/sub/x', 'fifo/x', 'a.txt/x', 'hard/x',
    'dir/sub/../../../x', `x${rng.below(1000)}`,
  ];
}

function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

function objectEntries(m) {
  return m.entries.filter((e) => e && typeof e === 'object' && e.raw === undefined);
}

function ofType(m, type) {
  return objectEntries(m).filter((e) => e.type === type);
}

function sortEntries(m) {
  const root = m.entries.filter((e) => e.raw === undefined && typeof e.path === 'string');
  const others = m.entries.filter((e) => !(e.raw === undefined && typeof e.path === 'string'));
  root.sort((a, b) => comparePaths(a.path, b.path));
  m.entries = [...root, ...others];
}

/** Inserts an entry where its path sorts. */
function insertSorted(m, entry) {
  const i = m.entries.findIndex((e) => e.raw === undefined && typeof e.path === 'string' && comparePaths(e.path, entry.path) > 0);
  if (i < 0) m.entries.push(entry);
  else m.entries.splice(i, 0, entry);
}

function symlinkEntry(path, target) {
  return { path, mode: 0o777, uid: 0, gid: 0, mtimeNs: '1600000000000000000', type: 'symlink', target };
}

const mutations = {
  hostilePath(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    const before = e.path;
    e.path = rng.pick(hostilePaths(rng));
    if (rng.chance(0.6)) sortEntries(m);
    return `path '${before}' -> ${JSON.stringify(e.path).slice(0, 80)}`;
  },
  wrongType(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    const field = rng.pick(ENTRY_FIELDS);
    if (rng.chance(0.2)) {
      delete e[field];
      return `'${e.path}': ${field} removed`;
    }
    e[field] = clone(rng.pick(WRONG_VALUES));
    return `'${e.path}': ${field} = ${JSON.stringify(e[field])}`;
  },
  bigNumber(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    const field = rng.pick(['mode', 'uid', 'gid', 'size', 'links', 'mode', 'uid']);
    e[field] = rng.pick(BIG_NUMBERS);
    return `'${e.path}': ${field} = ${e[field]}`;
  },
  mtime(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    const field = rng.chance(0.8) ? 'mtimeNs' : 'ctimeNs';
    e[field] = rng.chance(0.85) ? rng.pick(NS_VALUES) : rng.pick([1.5e18, -1, 2 ** 64]);
    return `'${e.path}': ${field} = ${JSON.stringify(e[field])}`;
  },
  retype(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    const before = e.type;
    e.type = rng.pick(TYPES);
    if (e.type === 'symlink' && rng.chance(0.7)) e.target = rng.pick(escapingTargets(e.path));
    if (e.type === 'file' && rng.chance(0.7)) {
      const f = rng.pick(ofType(m, 'file'));
      if (f) Object.assign(e, { size: f.size, sha256: f.sha256, recipe: clone(f.recipe) });
    }
    return `'${e.path}': type ${before} -> ${e.type}`;
  },
  symlinkTarget(rng, m) {
    const e = rng.pick(ofType(m, 'symlink'));
    if (!e) return null;
    e.target = rng.pick(escapingTargets(e.path));
    return `symlink '${e.path}' -> ${JSON.stringify(e.target).slice(0, 60)}`;
  },
  /** A symlink, then entries as if it were a directory: restore must not write through it. */
  beneathSymlink(rng, m) {
    const base = rng.pick(['dir/link', 'z-link-dir', `s${rng.below(10)}`, 'dir/sub2']);
    const existing = objectEntries(m).find((e) => e.path === base);
    if (existing) Object.assign(existing, symlinkEntry(base, rng.pick(escapingTargets(base))));
    else insertSorted(m, symlinkEntry(base, rng.pick(escapingTargets(base))));
    const file = rng.pick(ofType(m, 'file'));
    const under = [];
    if (file && rng.chance(0.8)) under.push({ ...clone(file), path: `${base}/${rng.pick(['file', 'inner.txt', 'deep.txt', 'x'])}`, linkTo: undefined });
    if (rng.chance(0.5)) under.push({ path: `${base}/d`, mode: 0o755, uid: 0, gid: 0, mtimeNs: '1600000000000000000', type: 'dir' });
    if (rng.chance(0.4)) under.push(symlinkEntry(`${base}/l`, 'x'));
    for (const u of under) {
      for (const k of Object.keys(u)) if (u[k] === undefined) delete u[k];
      insertSorted(m, u);
    }
    return `symlink '${base}' with ${under.map((u) => `'${u.path}'`).join(', ')} beneath it`;
  },
  /** Hard links to what is not a file: a symlink (with the file's hash, so restore believes it), a directory, nothing, a later path, itself. */
  linkTo(rng, m) {
    const files = ofType(m, 'file').filter((f) => typeof f.path === 'string' && f.path !== '');
    if (files.length === 0) return null;
    const f = rng.pick(files);
    const kind = rng.pick(['symlink', 'symlink', 'dir', 'missing', 'later', 'self', 'fifo', 'unsafe']);
    let target;
    if (kind === 'symlink') {
      target = `${f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : ''}${f.path.split('/').pop().slice(0, 1) < 'b' ? '0' : 'a'}-sym`;
      if (comparePaths(target, f.path) >= 0) target = rng.pick(['0-sym', 'a']);
      const s = symlinkEntry(target, rng.pick(escapingTargets(target)));
      if (rng.chance(0.8)) Object.assign(s, { sha256: f.sha256, hardLinked: true, links: 2 });
      const existing = objectEntries(m).find((e) => e.path === target);
      if (existing) Object.assign(existing, s);
      else insertSorted(m, s);
    } else if (kind === 'dir') {
      const d = rng.pick(ofType(m, 'dir'));
      target = d ? d.path : 'dir';
      if (d && rng.chance(0.7)) Object.assign(d, { sha256: f.sha256, hardLinked: true });
    } else if (kind === 'fifo') {
      const p = rng.pick(ofType(m, 'fifo'));
      target = p ? p.path : 'fifo';
      if (p && rng.chance(0.7)) Object.assign(p, { sha256: f.sha256, hardLinked: true });
    } else if (kind === 'missing') target = 'no-such-path';
    else if (kind === 'later') target = rng.pick(objectEntries(m).filter((e) => comparePaths(e.path, f.path) > 0).map((e) => e.path).concat(['zzz']));
    else if (kind === 'self') target = f.path;
    else target = rng.pick(['..', '/etc/passwd', `${SANDBOX}/sentinel/file`, '../sentinel/file', '']);
    f.linkTo = target;
    if (rng.chance(0.5)) f.hardLinked = true;
    return `'${f.path}' linkTo '${target}' (${kind})`;
  },
  links(rng, m) {
    const e = rng.pick(objectEntries(m));
    if (!e) return null;
    e.links = rng.pick([0, 1, 2, 3, -1, 2 ** 53, 1.5, 1e9]);
    e.hardLinked = rng.chance(0.8);
    return `'${e.path}': links ${e.links}, hardLinked ${e.hardLinked}`;
  },
  recipeStep(rng, m) {
    const f = rng.pick(ofType(m, 'file').filter((x) => Array.isArray(x.recipe) && x.recipe.length));
    if (!f) return null;
    const s = rng.pick(f.recipe);
    const field = rng.pick(['backup', 'pack', 'offset', 'length', 'size', 'kind', 'sha256', 'offset', 'length', 'size']);
    if (field === 'backup') s.backup = rng.pick(BACKUP_IDS);
    else if (field === 'pack') s.pack = rng.pick(PACKS);
    else if (field === 'kind') s.kind = rng.pick(['raw', 'delta', 'RAW', '', 7]);
    else if (field === 'sha256') s.sha256 = rng.pick(ofType(m, 'file').flatMap((x) => (Array.isArray(x.recipe) ? x.recipe.map((r) => r.sha256) : [])));
    else s[field] = rng.chance(0.5) ? rng.pick(BIG_NUMBERS) : Math.max(0, (s[field] ?? 0) + rng.range(-2, 2));
    return `'${f.path}': recipe step ${field} = ${JSON.stringify(s[field])}`;
  },
  recipeShape(rng, m) {
    const f = rng.pick(ofType(m, 'file'));
    if (!f || !Array.isArray(f.recipe)) return null;
    const how = rng.pick(['drop', 'duplicate', 'reverse', 'borrow', 'empty', 'many']);
    if (how === 'drop' && f.recipe.length) f.recipe.splice(rng.below(f.recipe.length), 1);
    else if (how === 'duplicate' && f.recipe.length) f.recipe.splice(rng.below(f.recipe.length), 0, clone(rng.pick(f.recipe)));
    else if (how === 'reverse') f.recipe.reverse();
    else if (how === 'borrow') {
      const other = rng.pick(ofType(m, 'file'));
      if (other && Array.isArray(other.recipe)) f.recipe = clone(other.recipe);
    } else if (how === 'empty') f.recipe = [];
    else if (f.recipe.length) {
      const delta = f.recipe.find((s) => s.kind === 'delta') ?? f.recipe[0];
      for (let i = 0, n = 2 + rng.below(30); i < n; i++) f.recipe.push(clone(delta));
    }
    return `'${f.path}': recipe ${how}`;
  },
  signatureRef(rng, m) {
    const f = rng.pick(ofType(m, 'file').filter((x) => x.signature && typeof x.signature === 'object'));
    if (!f) return null;
    const field = rng.pick(['backup', 'pack', 'offset', 'length', 'sha256']);
    if (field === 'backup') f.signature.backup = rng.pick(BACKUP_IDS);
    else if (field === 'pack') f.signature.pack = rng.pick(PACKS);
    else if (field === 'sha256') f.signature.sha256 = '0'.repeat(64);
    else f.signature[field] = rng.pick(BIG_NUMBERS);
    return `'${f.path}': signature ${field} = ${JSON.stringify(f.signature[field])}`;
  },
  sizeAndHash(rng, m) {
    const f = rng.pick(ofType(m, 'file'));
    if (!f) return null;
    if (rng.chance(0.5)) f.size = rng.chance(0.5) ? (f.size ?? 0) + rng.range(-1, 1) : rng.pick(BIG_NUMBERS);
    else f.sha256 = rng.pick([...ofType(m, 'file').map((x) => x.sha256), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'A'.repeat(64)]);
    return `'${f.path}': size ${f.size}, sha256 ${String(f.sha256).slice(0, 8)}`;
  },
  order(rng, m) {
    const list = objectEntries(m);
    if (list.length < 2) return null;
    const how = rng.pick(['swap', 'duplicate', 'remove', 'removeRoot', 'removeDir']);
    const i = rng.below(m.entries.length);
    if (how === 'swap') {
      const j = rng.below(m.entries.length);
      [m.entries[i], m.entries[j]] = [m.entries[j], m.entries[i]];
    } else if (how === 'duplicate') m.entries.splice(i, 0, clone(m.entries[i]));
    else if (how === 'remove') m.entries.splice(i, 1);
    else {
      const victim = how === 'removeRoot' ? '' : rng.pick(['dir', 'dir/sub']);
      m.entries = m.entries.filter((e) => e.path !== victim);
    }
    return `entries ${how} (${i})`;
  },
  copyField(rng, m) {
    const a = rng.pick(objectEntries(m));
    const b = rng.pick(objectEntries(m));
    if (!a || !b) return null;
    const field = rng.pick(ENTRY_FIELDS.filter((k) => k in a));
    if (!field) return null;
    b[field] = clone(a[field]);
    return `'${b.path}' gets ${field} of '${a.path}'`;
  },
  header(rng, m) {
    const h = m.header;
    const field = rng.pick(['parent', 'parent', 'sequence', 'level', 'blockSize', 'name', 'chain', 'id', 'version', 'format', 'source', 'exclude', 'started']);
    if (field === 'parent') h.parent = rng.pick([h.id, null, '000000-L0', '000001-L1', '000002-L2', 'nope', '..', 7]);
    else if (field === 'source') h.source = rng.pick([{ ...h.source, kind: 'file' }, { ...h.source, kind: 'x' }, null, 'x', {}]);
    else if (field === 'exclude') h.exclude = rng.pick([['*'], ['['], null, 'x', [7], ['**']]);
    else if (field === 'version') h.version = rng.pick([0, 2, '1', null]);
    else if (field === 'format') h.format = rng.pick(['librsync-backup', '', null]);
    else h[field] = rng.chance(0.5) ? clone(rng.pick(WRONG_VALUES)) : rng.pick(BIG_NUMBERS);
    return `header ${field} = ${JSON.stringify(h[field])}`;
  },
  trailer(rng, m) {
    const t = m.trailer;
    if (!t) return null;
    const field = rng.pick(['counts', 'packs', 'packs', 'finished', 'end', 'extra']);
    if (field === 'packs') {
      const names = Object.keys(t.packs ?? {});
      if (names.length && rng.chance(0.7)) t.packs[rng.pick(names)] = rng.pick([0, 1, -1, 2 ** 53, 1.5, null, 'x']);
      else t.packs = clone(rng.pick(WRONG_VALUES));
    } else if (field === 'counts') {
      if (t.counts && typeof t.counts === 'object' && rng.chance(0.6)) t.counts[rng.pick(Object.keys(t.counts))] = clone(rng.pick([...WRONG_VALUES, ...BIG_NUMBERS]));
      else t.counts = clone(rng.pick(WRONG_VALUES));
    } else if (field === 'finished') t.finished = rng.pick(['', 'x', '9999-99-99', null, 0, '+275760-09-13T00:00:00.001Z', '1970-01-01T00:00:00Z']);
    else if (field === 'end') t.end = rng.pick([false, 1, 'true', null]);
    else t[`x${rng.below(3)}`] = clone(rng.pick(WRONG_VALUES));
    return `trailer ${field} = ${JSON.stringify(t[field] ?? null).slice(0, 60)}`;
  },
  structure(rng, m) {
    const how = rng.pick(['blank', 'notJson', 'secondHeader', 'noTrailer', 'twoTrailers', 'crlf', 'bom', 'array']);
    const at = rng.below(m.entries.length + 1);
    if (how === 'blank') m.entries.splice(at, 0, { raw: '' });
    else if (how === 'notJson') m.entries.splice(at, 0, { raw: rng.pick(['{', 'null', '"x"', '[]', '{"path":"x",', '1e999']) });
    else if (how === 'secondHeader') m.entries.splice(at, 0, clone(m.header));
    else if (how === 'noTrailer') m.trailer = undefined;
    else if (how === 'twoTrailers' && m.trailer) m.entries.splice(at, 0, clone(m.trailer));
    else if (how === 'crlf') m.crlf = true;
    else if (how === 'bom') m.bom = true;
    else m.entries.splice(at, 0, { raw: JSON.stringify([clone(m.entries[0] ?? {})]) });
    return `structure: ${how}`;
  },
};

const NAMES = Object.keys(mutations);
/** Mutations aimed at restore's writing, drawn more often for the restore target. */
const RESTORE_HEAVY = ['hostilePath', 'beneathSymlink', 'linkTo', 'linkTo', 'symlinkTarget', 'retype', 'mtime', 'bigNumber', 'recipeStep'];

function serializeLine(item, crlf) {
  const text = item.raw !== undefined ? item.raw : JSON.stringify(item);
  return `${text}${crlf ? '\r\n' : '\n'}`;
}

/**
 * A mutated manifest: { body, trailer, reseal, what }. The worker puts the
 * sandbox in for '@SANDBOX@' and, with reseal, recomputes the digest.
 */
function mutateManifest(rng, text, { restoreHeavy = false } = {}) {
  const m = parseManifest(text);
  const done = [];
  const count = 1 + rng.skewed(3);
  for (let i = 0; i < count; i++) {
    const name = restoreHeavy && rng.chance(0.6) ? rng.pick(RESTORE_HEAVY) : rng.pick(NAMES);
    const what = mutations[name](rng, m);
    if (what) done.push(what);
  }
  const lines = [m.header, ...m.entries].map((item, i) => (i === 0 && m.bom ? '\ufeff' : '') + serializeLine(item, m.crlf));
  return { body: lines.join(''), trailer: m.trailer ?? null, reseal: rng.chance(0.9), what: done.join('; ') || 'unchanged' };
}

module.exports = { mutateManifest, SANDBOX };
