// Which backups a prune keeps, and why. Two kinds of policy:
//
// - By backup, with restic's `forget` semantics: --keep-last N keeps the N
//   newest; --keep-hourly/daily/weekly/monthly/yearly N keep, for each of
//   the last N hours (days, ISO weeks, months, years, in local time) that
//   have backups, the newest backup of that period; --keep-within AGE keeps
//   every backup taken since then. A backup is kept if any rule keeps it.
// - By chain: --keep-chains N keeps the newest N chains; --older-than TIME
//   removes chains whose newest backup was committed before TIME, never the
//   newest chain.
//
// Levels build on each other, so what is kept is then made whole: every
// base a kept backup needs is kept too, and so is every backup of a chain
// before the newest one kept in it (the chain's order must stay gap-free).
// So a prune removes whole chains, and the newest levels of a chain that
// no kept backup builds on; never a level in the middle of a chain.
import { BackupInfo, ChainInfo, ancestry } from './catalog';

export interface RetentionPolicy {
  /** Keep the N newest backups. */
  keepLast?: number;
  /** For each of the last N hours (days, ...) with backups, keep its newest backup (local time). */
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** Keep every backup taken at or after this time. */
  keepWithin?: Date;
  /** Keep this many newest chains of each name (at least 1). */
  keepChains?: number;
  /** Remove chains whose newest backup finished before this time. */
  olderThan?: Date;
}

export interface Decision {
  chain: ChainInfo;
  backup: BackupInfo;
  keep: boolean;
  /** Why it is kept (empty when it goes). */
  reasons: string[];
}

const BY_BACKUP = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin'] as const;

export function isByBackup(policy: RetentionPolicy): boolean {
  return BY_BACKUP.some((k) => policy[k] !== undefined);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO 8601 week: the year it belongs to and its number (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(d: Date): string {
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const weekday = (day.getDay() + 6) % 7; // Monday 0
  day.setDate(day.getDate() - weekday + 3); // the Thursday of this week
  const firstThursday = new Date(day.getFullYear(), 0, 4);
  const week = 1 + Math.round(((day.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getDay() + 6) % 7)) / 7);
  return `${day.getFullYear()}-W${pad(week)}`;
}

/** The periods of the by-period rules, as keys of a backup's time (local time, as restic). */
const PERIODS: { option: 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly'; label: string; key: (d: Date) => string }[] = [
  { option: 'keepHourly', label: 'hourly', key: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}h` },
  { option: 'keepDaily', label: 'daily', key: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` },
  { option: 'keepWeekly', label: 'weekly', key: isoWeek },
  { option: 'keepMonthly', label: 'monthly', key: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}` },
  { option: 'keepYearly', label: 'yearly', key: (d) => String(d.getFullYear()) },
];

function idOf(chain: ChainInfo, backup: BackupInfo): string {
  return `${chain.chain}/${backup.id}`;
}

/** Decisions for every committed backup of one name's chains (oldest chain first), newest backup first. */
export function decide(chains: readonly ChainInfo[], policy: RetentionPolicy): Decision[] {
  const all: Decision[] = chains.flatMap((chain) => chain.backups.map((backup) => ({ chain, backup, keep: false, reasons: [] as string[] })));
  // Newest first: by the time it was taken, then by commit order.
  all.sort((a, b) => b.backup.started.getTime() - a.backup.started.getTime() || b.chain.number - a.chain.number || b.backup.sequence - a.backup.sequence);
  const keep = (d: Decision, why: string): void => {
    d.keep = true;
    if (!d.reasons.includes(why)) d.reasons.push(why);
  };

  if (isByBackup(policy)) {
    all.slice(0, policy.keepLast ?? 0).forEach((d, i) => keep(d, `last ${i + 1}`));
    for (const period of PERIODS) {
      let left = policy[period.option] ?? 0;
      let previous: string | undefined;
      for (const d of all) {
        if (left <= 0) break;
        const key = period.key(d.backup.started);
        if (key === previous) continue;
        previous = key;
        left--;
        keep(d, `${period.label} ${key}`);
      }
    }
    if (policy.keepWithin) for (const d of all) if (d.backup.started >= policy.keepWithin) keep(d, `within ${policy.keepWithin.toISOString()}`);
  } else {
    const withBackups = chains.filter((c) => c.backups.length > 0);
    withBackups.forEach((chain, i) => {
      const newestChain = i === withBackups.length - 1;
      const kept =
        policy.keepChains !== undefined ? i >= withBackups.length - policy.keepChains : newestChain || chain.backups[chain.backups.length - 1].finished >= policy.olderThan!;
      const why = policy.keepChains !== undefined ? `in the newest ${policy.keepChains} chains` : newestChain ? 'the newest chain' : `committed since ${policy.olderThan!.toISOString()}`;
      if (kept) for (const d of all) if (d.chain === chain) keep(d, why);
    });
  }

  // What the kept ones need: their bases, and the chain before them (no gaps).
  for (const chain of chains) {
    const inChain = all.filter((d) => d.chain === chain);
    const keptHere = inChain.filter((d) => d.keep && d.reasons.some((r) => !r.startsWith('base of') && !r.startsWith('before')));
    for (const d of keptHere) {
      let bases: BackupInfo[];
      try {
        bases = ancestry(chain, d.backup).slice(0, -1);
      } catch {
        // A damaged chain: what a kept backup needs cannot be told, so all of it stays.
        for (const x of inChain) keep(x, 'its chain is damaged: kept whole');
        break;
      }
      for (const base of bases) keep(inChain.find((x) => x.backup === base)!, `base of ${idOf(chain, d.backup)}`);
    }
    const lastKept = Math.max(-1, ...inChain.filter((d) => d.keep).map((d) => d.backup.sequence));
    for (const d of inChain) if (!d.keep && d.backup.sequence < lastKept) keep(d, 'before a kept level in its chain');
  }
  return all;
}
