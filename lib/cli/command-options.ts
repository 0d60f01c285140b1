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

/** An option taking a value. */
function valued(long: string, value: string, help: string, apply: (v: CommandValues, s: string) => void): OptionSpec<CommandValues> {
  return { long, value, group: GROUP, help, apply: (v, s) => apply(v, s!) };
}

/** A flag. */
function flag(long: string, help: string, apply: (v: CommandValues) => void): OptionSpec<CommandValues> {
  return { long, group: GROUP, help, apply: (v) => apply(v) };
}

function days(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text) || !(Number(text) > 0)) throw usageError(`invalid number of days for --restart-after: '${text}'`);
  return Number(text);
}

export const NAME = valued('name', 'NAME', 'Backup name (default: from SOURCE; restore, list, verify: the only one)', (v, s) => (v.name = s));
export const LEVEL = valued('level', 'N', 'backup: level (0 starts a chain); others: the newest backup at level N', (v, s) => (v.level = count(s, '--level')));
export const MAX_LEVEL = valued('max-level', 'N', 'backup: after level N, start a new chain', (v, s) => (v.maxLevel = count(s, '--max-level')));
export const ALWAYS_LEVEL = valued('always-level', 'N', 'backup: once level N exists, each backup is a level N against level N-1', (v, s) => {
  v.alwaysLevel = count(s, '--always-level');
});
export const RESTART_AFTER = valued('restart-after', 'DAYS', "backup: start a new chain when the chain's level 0 is older", (v, s) => (v.restartAfterDays = days(s)));
export const EXCLUDE = valued('exclude', 'GLOB', 'backup: skip matching paths (repeatable; * ? [..] **)', (v, s) => v.exclude.push(s));
export const AT = valued('at', 'TIME', 'restore: the newest backup at or before TIME (ISO date, @SECONDS, or an age: 2d)', (v, s) => (v.at = s));
export const PATH = valued('path', 'PATH', 'restore: only this file or subtree, relative to SOURCE (repeatable)', (v, s) => v.paths.push(s));
export const OVERWRITE = flag('overwrite', 'restore: into a non-empty TARGET, replacing what is in the way', (v) => (v.overwrite = true));
export const FILES = flag('files', "list: the files of one backup (the newest, or --level N's)", (v) => (v.files = true));
export const AGAINST = valued('against', 'SOURCE', 'verify: also report live files that differ from the backup', (v, s) => (v.against = s));
export const KEEP_CHAINS = valued('keep-chains', 'N', 'prune: keep the newest N chains of each name', (v, s) => (v.keepChains = count(s, '--keep-chains')));
export const OLDER_THAN = valued('older-than', 'TIME', 'prune: remove chains whose newest backup is older (never the newest chain)', (v, s) => (v.olderThan = s));
export const DRY_RUN = flag('dry-run', 'prune: say what would go, remove nothing', (v) => (v.dryRun = true));

/** Exit statuses of commands that succeeded with something to report. */
export const EXIT_DIFFERENCES = 1;
export const EXIT_WARNINGS = 2;
