// The store's layout: NAME/CHAIN/BACKUP/{manifest.jsonl, d000001.pack, s000001.pack}.
// A backup directory without its manifest is an uncommitted leftover.
import { paramError } from '../errors';

export const MANIFEST_OBJECT = 'manifest.jsonl';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) throw paramError(`invalid backup name '${name}': use letters, digits, '.', '_' and '-' (128 at most)`);
  return name;
}

export function chainId(number: number): string {
  return `chain-${String(number).padStart(6, '0')}`;
}

export function parseChainId(id: string): number | undefined {
  const m = /^chain-(\d{6,})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** Backups sort by sequence within their chain; the level is in the name for people. */
export function backupId(sequence: number, level: number): string {
  return `${String(sequence).padStart(6, '0')}-L${level}`;
}

export function parseBackupId(id: string): { sequence: number; level: number } | undefined {
  const m = /^(\d{6,})-L(\d+)$/.exec(id);
  return m ? { sequence: Number(m[1]), level: Number(m[2]) } : undefined;
}

export function chainPrefix(name: string, chain: string): string {
  return `${name}/${chain}`;
}

export function backupPrefix(name: string, chain: string, id: string): string {
  return `${name}/${chain}/${id}`;
}

export function manifestKey(name: string, chain: string, id: string): string {
  return `${backupPrefix(name, chain, id)}/${MANIFEST_OBJECT}`;
}

export function packKey(name: string, chain: string, backup: string, pack: string): string {
  return `${backupPrefix(name, chain, backup)}/${pack}`;
}
