// What a store holds for a name: its chains and their committed backups,
// read from each manifest's first and last lines (ranged reads, never the
// whole manifest). Order comes from the sequence numbers and parent ids
// recorded in the manifests, checked against each other, never from
// listing order: a gap or a missing parent is BACKUP_CHAIN_BROKEN.
import { LibrsyncError } from '../errors';
import { BackupCounts, ManifestHeader, ManifestTrailer, isTrailer, manifestCorrupt, validTrailer, validateHeader } from './manifest';
import { headerLine, isPlainManifest, trailerLine } from './manifest-frames';
import { BackupStore } from './store';
import { manifestKey, parseBackupId, parseChainId } from './store-keys';

export interface BackupInfo extends Pick<ManifestHeader, 'name' | 'chain' | 'id' | 'sequence' | 'level' | 'parent' | 'blockSize'> {
  started: Date;
  finished: Date;
  header: ManifestHeader;
  counts: BackupCounts;
  packs: Record<string, number>;
  manifestBytes: number;
}

export interface ChainInfo {
  name: string;
  chain: string;
  number: number;
  /** Committed backups by sequence. */
  backups: BackupInfo[];
  /** Backup directories without a manifest: an interrupted run's leftovers. */
  uncommitted: string[];
  /** Backups whose manifest exists but cannot be read (its header or trailer is damaged). */
  damaged: { id: string; sequence: number; level: number; error: LibrsyncError }[];
  /** What is wrong with the chain's order, if anything (a gap, a missing parent). */
  problem?: string;
}

const EDGE_BYTES = 256 << 10;

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

function parseLine(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw manifestCorrupt(where, 'a line is not valid JSON');
  }
}

/**
 * Header and trailer of a committed manifest, or undefined when it does not
 * exist, also when it went between the size and the read (list takes no
 * lock: a prune may be removing the chain).
 */
export async function readManifestEnds(store: BackupStore, key: string): Promise<{ header: ManifestHeader; trailer: ManifestTrailer; size: number } | undefined> {
  try {
    return await readEnds(store, key);
  } catch (err) {
    if (err instanceof LibrsyncError && err.code === 'BACKUP_OBJECT_MISSING' && (await store.objectSize(key)) === undefined) return undefined;
    throw err;
  }
}

async function readEnds(store: BackupStore, key: string): Promise<{ header: ManifestHeader; trailer: ManifestTrailer; size: number } | undefined> {
  const size = await store.objectSize(key);
  if (size === undefined) return undefined;
  const head = await readAll(store.readObject(key, { start: 0, end: Math.min(size, EDGE_BYTES) }));
  const header = validateHeader(parseLine(headerLine(head, key), key), key);
  // The trailer grows with the number of packs: read a longer tail until it holds the trailer's start.
  let line: string | 'more';
  for (let edge = EDGE_BYTES; ; edge *= 4) {
    const start = Math.max(0, size - edge);
    const tail = await readAll(store.readObject(key, { start, end: size }));
    line = trailerLine(tail, start === 0, isPlainManifest(head), key);
    if (line !== 'more') break;
  }
  const trailer = parseLine(line, key);
  if (!isTrailer(trailer)) throw manifestCorrupt(key, 'truncated (no trailer)');
  if (!validTrailer(trailer)) throw manifestCorrupt(key, 'malformed trailer');
  return { header, trailer, size };
}

export async function listNames(store: BackupStore): Promise<string[]> {
  return store.list('');
}

async function readChain(store: BackupStore, name: string, chain: string, number: number): Promise<ChainInfo> {
  const info: ChainInfo = { name, chain, number, backups: [], uncommitted: [], damaged: [] };
  for (const id of await store.list(`${name}/${chain}`)) {
    const parsed = parseBackupId(id);
    if (!parsed) continue;
    const key = manifestKey(name, chain, id);
    let ends: Awaited<ReturnType<typeof readManifestEnds>>;
    try {
      ends = await readManifestEnds(store, key);
    } catch (err) {
      // One damaged manifest must not hide the rest of the store: it is reported, and what needs it fails.
      if (!(err instanceof LibrsyncError) || err.code !== 'BACKUP_CORRUPT') throw err;
      info.damaged.push({ id, ...parsed, error: err });
      continue;
    }
    if (!ends) {
      info.uncommitted.push(id);
      continue;
    }
    const { header, trailer, size } = ends;
    if (header.name !== name || header.chain !== chain || header.id !== id || header.sequence !== parsed.sequence || header.level !== parsed.level) {
      throw manifestCorrupt(key, `its header names ${header.name}/${header.chain}/${header.id}, not where it is stored`);
    }
    info.backups.push({
      name,
      chain,
      id,
      sequence: header.sequence,
      level: header.level,
      parent: header.parent,
      started: new Date(header.started),
      finished: new Date(trailer.finished),
      blockSize: header.blockSize,
      header,
      counts: trailer.counts,
      packs: trailer.packs,
      manifestBytes: size,
    });
  }
  info.backups.sort((a, b) => a.sequence - b.sequence);
  info.problem = chainProblem(info);
  return info;
}

/** Checks sequence numbers, levels and parents against each other. */
function chainProblem(chain: ChainInfo): string | undefined {
  if (chain.damaged.length) return chain.damaged.map((d) => d.error.message).join('; ');
  const byId = new Map(chain.backups.map((b) => [b.id, b]));
  for (let i = 0; i < chain.backups.length; i++) {
    const b = chain.backups[i];
    if (b.sequence !== i) return `backup number ${i} is missing (found ${b.id} instead)`;
    if (b.blockSize !== chain.backups[0].blockSize) return `${b.id} has block size ${b.blockSize}, the chain ${chain.backups[0].blockSize}`;
    if (b.level === 0) {
      if (i !== 0 || b.parent !== null) return `${b.id} is a level 0 in the middle of the chain`;
      continue;
    }
    const parent = b.parent === null ? undefined : byId.get(b.parent);
    if (!parent) return `${b.id} needs ${b.parent ?? 'a parent'}, which is missing`;
    if (parent.level !== b.level - 1 || parent.sequence >= b.sequence) return `${b.id} has parent ${parent.id}, which is not the level below it`;
  }
  if (chain.backups.length > 0 && chain.backups[0].level !== 0) return `its level 0 is missing`;
  return undefined;
}

/**
 * The chains of a name the user gave: none is BACKUP_NOT_FOUND (a typo in
 * a cron job must not pass for success), naming the names there are.
 */
export async function readNamedChains(store: BackupStore, name: string): Promise<ChainInfo[]> {
  const chains = await readChains(store, name);
  if (chains.length > 0) return chains;
  const names = await listNames(store);
  const known = names.length ? `; it holds ${names.map((n) => `'${n}'`).join(', ')}` : '; it holds no backups';
  throw new LibrsyncError('BACKUP_NOT_FOUND', `${store.location} has no backups named '${name}'${known}`);
}

/** Every chain of `name`, oldest first. */
export async function readChains(store: BackupStore, name: string): Promise<ChainInfo[]> {
  const chains: ChainInfo[] = [];
  for (const chain of await store.list(name)) {
    const number = parseChainId(chain);
    if (number !== undefined) chains.push(await readChain(store, name, chain, number));
  }
  return chains.sort((a, b) => a.number - b.number);
}

/**
 * The backups `backup` is built on, level 0 first, ending with itself.
 * Each step must go to a lower sequence: a manifest naming itself (or a
 * later backup) as its parent is a broken chain, not an endless walk.
 */
export function ancestry(chain: ChainInfo, backup: BackupInfo): BackupInfo[] {
  const byId = new Map(chain.backups.map((b) => [b.id, b]));
  const out: BackupInfo[] = [backup];
  for (let b = backup; b.parent !== null; ) {
    const parent = byId.get(b.parent);
    if (!parent) throw new LibrsyncError('BACKUP_CHAIN_BROKEN', `${chain.name}/${chain.chain}: ${b.id} needs ${b.parent}, which is missing`);
    if (parent.sequence >= b.sequence || parent.level !== b.level - 1) {
      throw new LibrsyncError('BACKUP_CHAIN_BROKEN', `${chain.name}/${chain.chain}: ${b.id} has parent ${parent.id}, which is not the level below it`);
    }
    out.unshift(parent);
    b = parent;
  }
  if (out[0].level !== 0) throw new LibrsyncError('BACKUP_CHAIN_BROKEN', `${chain.name}/${chain.chain}: the level 0 of ${backup.id} is missing`);
  return out;
}
