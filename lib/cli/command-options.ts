// The options of the backup commands, each defined once and listed by the
// commands that take it (Command.options); main.ts parses them beside the
// shared options and refuses one given to a command that does not take it.
import { usageError } from './cli-error';
import { parseIntOption } from './numbers';
import { OptionSpec } from './option-spec';

export interface CommandValues {
  name?: string;
  level?: number;
  maxLevel?: number;
  alwaysLevel?: number;
  restartAfterDays?: number;
  exclude: string[];
  at?: string;
  paths: string[];
  overwrite: boolean;
  files: boolean;
  against?: string;
  keepChains?: number;
  olderThan?: string;
  dryRun: boolean;
}

export function defaultCommandValues(): CommandValues {
  return { exclude: [], paths: [], overwrite: false, files: false, dryRun: false };
}

const GROUP = 'Backup options (backup, restore, list, verify, prune)';

function count(text: string, option: string): number {
  const value = parseIntOption(text, option);
  if (value < 0) throw usageError(`${option} must not be negative: '${text}'`);
  return value;
}

export const NAME: OptionSpec<CommandValues> = {
  long: 'name',
  value: 'NAME',
  group: GROUP,
  help: 'Backup name (default: from SOURCE; restore, list, verify: the only one)',
  apply: (v, s) => void (v.name = s),
};
export const LEVEL: OptionSpec<CommandValues> = {
  long: 'level',
  value: 'N',
  group: GROUP,
  help: 'backup: level (0 starts a chain); others: the newest backup at level N',
  apply: (v, s) => void (v.level = count(s!, '--level')),
};
export const MAX_LEVEL: OptionSpec<CommandValues> = {
  long: 'max-level',
  value: 'N',
  group: GROUP,
  help: 'backup: after level N, start a new chain',
  apply: (v, s) => void (v.maxLevel = count(s!, '--max-level')),
};
export const ALWAYS_LEVEL: OptionSpec<CommandValues> = {
  long: 'always-level',
  value: 'N',
  group: GROUP,
  help: 'backup: once level N exists, each backup is a level N against level N-1',
  apply: (v, s) => void (v.alwaysLevel = count(s!, '--always-level')),
};
export const RESTART_AFTER: OptionSpec<CommandValues> = {
  long: 'restart-after',
  value: 'DAYS',
  group: GROUP,
  help: "backup: start a new chain when the chain's level 0 is older",
  apply: (v, s) => {
    if (!/^\d+(\.\d+)?$/.test(s!) || !(Number(s) > 0)) throw usageError(`invalid number of days for --restart-after: '${s}'`);
    v.restartAfterDays = Number(s);
  },
};
export const EXCLUDE: OptionSpec<CommandValues> = {
  long: 'exclude',
  value: 'GLOB',
  group: GROUP,
  help: 'backup: skip matching paths (repeatable; * ? [..] **)',
  apply: (v, s) => void v.exclude.push(s!),
};
export const AT: OptionSpec<CommandValues> = {
  long: 'at',
  value: 'TIME',
  group: GROUP,
  help: 'restore: the newest backup at or before TIME (ISO date, @SECONDS, or an age: 2d)',
  apply: (v, s) => void (v.at = s),
};
export const PATH: OptionSpec<CommandValues> = {
  long: 'path',
  value: 'PATH',
  group: GROUP,
  help: 'restore: only this file or subtree, relative to SOURCE (repeatable)',
  apply: (v, s) => void v.paths.push(s!),
};
export const OVERWRITE: OptionSpec<CommandValues> = {
  long: 'overwrite',
  group: GROUP,
  help: 'restore: into a non-empty TARGET, replacing what is in the way',
  apply: (v) => void (v.overwrite = true),
};
export const FILES: OptionSpec<CommandValues> = {
  long: 'files',
  group: GROUP,
  help: "list: the files of one backup (the newest, or --level N's)",
  apply: (v) => void (v.files = true),
};
export const AGAINST: OptionSpec<CommandValues> = {
  long: 'against',
  value: 'SOURCE',
  group: GROUP,
  help: 'verify: also report live files that differ from the backup',
  apply: (v, s) => void (v.against = s),
};
export const KEEP_CHAINS: OptionSpec<CommandValues> = {
  long: 'keep-chains',
  value: 'N',
  group: GROUP,
  help: 'prune: keep the newest N chains of each name',
  apply: (v, s) => void (v.keepChains = count(s!, '--keep-chains')),
};
export const OLDER_THAN: OptionSpec<CommandValues> = {
  long: 'older-than',
  value: 'TIME',
  group: GROUP,
  help: 'prune: remove chains whose newest backup is older (never the newest chain)',
  apply: (v, s) => void (v.olderThan = s),
};
export const DRY_RUN: OptionSpec<CommandValues> = {
  long: 'dry-run',
  group: GROUP,
  help: 'prune: say what would go, remove nothing',
  apply: (v) => void (v.dryRun = true),
};

/** Exit statuses of commands that succeeded with something to report. */
export const EXIT_DIFFERENCES = 1;
export const EXIT_WARNINGS = 2;
