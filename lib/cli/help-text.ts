// Help and --version text. Help is built only from the command table and
// the option specs: the overview from every command's synopsis and
// summary, a command's own help from what it declares (description,
// options with their defaults, examples, exit statuses).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backend } from '../backend';
import { backendInfo } from '../backend-info';
import { Command } from './command';
import { OptionSpec, optionLabel } from './option-spec';
import { PROGRAM } from './reporter';

/** Help is wrapped to fit a classic terminal. */
export const HELP_WIDTH = 80;
/** The widest label kept beside its text; a wider one goes on a line of its own and does not widen the column. */
const MAX_LABEL_WIDTH = 24;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

type Row = readonly [label: string, text: string];

interface Section {
  title: string;
  rows: readonly Row[];
}

/**
 * Titled two-column sections sharing one column width: each label, then
 * its text wrapped beside it (below it, when the label is too wide).
 */
function sections(list: readonly Section[]): string[] {
  const shown = list.filter((s) => s.rows.length > 0);
  const fitting = shown.flatMap((s) => s.rows.map(([label]) => label.length)).filter((n) => n <= MAX_LABEL_WIDTH);
  const labelWidth = Math.max(0, ...fitting) + 2;
  const indent = '  ';
  const pad = ' '.repeat(indent.length + labelWidth);
  const out: string[] = [];
  for (const section of shown) {
    out.push('', `${section.title}:`);
    for (const [label, text] of section.rows) {
      const wrapped = wrap(text, HELP_WIDTH - pad.length);
      if (label.length + 2 > labelWidth) out.push(`${indent}${label}`, ...wrapped.map((l) => pad + l));
      else out.push(`${indent}${label.padEnd(labelWidth)}${wrapped[0] ?? ''}`.trimEnd(), ...wrapped.slice(1).map((l) => pad + l));
    }
  }
  return out;
}

/** Long options line up whether or not they have a short name, as in GNU help. */
function alignedLabel(spec: OptionSpec<unknown>): string {
  return spec.short?.length ? optionLabel(spec) : `    ${optionLabel(spec)}`;
}

function optionText(spec: OptionSpec<unknown>): string {
  const notes = [spec.repeatable ? 'repeatable' : '', spec.default !== undefined ? `default: ${spec.default}` : ''].filter(Boolean);
  return notes.length ? `${spec.help} (${notes.join('; ')})` : spec.help;
}

function optionRows(specs: readonly OptionSpec<unknown>[]): Row[] {
  return specs.map((s) => [alignedLabel(s), optionText(s)]);
}

/** Consecutive options of one group under its heading. */
function optionSections(specs: readonly OptionSpec<unknown>[]): Section[] {
  const out: { title: string; rows: Row[] }[] = [];
  for (const spec of specs) {
    if (out[out.length - 1]?.title !== spec.group) out.push({ title: spec.group, rows: [] });
    out[out.length - 1].rows.push(...optionRows([spec]));
  }
  return out;
}

export function commandUsage(command: Command): string {
  return `${PROGRAM} [OPTIONS] ${command.name}${command.synopsis ? ` ${command.synopsis}` : ''}`;
}

/** `librsync help`, `librsync --help`: every command, then the global options and rdiff's (as rdiff's help lists them). */
export function overviewHelp(commands: readonly Command[], globalOptions: readonly OptionSpec<unknown>[], rdiffOptions: readonly OptionSpec<unknown>[]): string {
  const indent = ' '.repeat('Usage: '.length + PROGRAM.length);
  const lines = commands.map((c, i) => (i === 0 ? `Usage: ${commandUsage(c)}` : `${indent}${commandUsage(c).slice(PROGRAM.length)}`));
  const groups = [...new Set(commands.map((c) => c.group))];
  lines.push(...sections(groups.map((group) => ({ title: group, rows: commands.filter((c) => c.group === group).map((c): Row => [c.name, c.summary]) }))));
  lines.push(...sections(optionSections([...globalOptions, ...rdiffOptions])));
  lines.push('', ...wrap(`Run '${PROGRAM} help COMMAND' (or '${PROGRAM} COMMAND --help') for the options, defaults, examples and exit statuses of one command.`, HELP_WIDTH));
  return `${lines.join('\n')}\n`;
}

/** `librsync help COMMAND`, `librsync COMMAND --help`. */
export function commandHelp(command: Command, globalOptions: readonly OptionSpec<unknown>[]): string {
  const lines: string[] = [`Usage: ${commandUsage(command)}`, '', ...wrap(`${command.summary}.`, HELP_WIDTH)];
  for (const paragraph of command.description) lines.push('', ...wrap(paragraph, HELP_WIDTH));
  lines.push(
    ...sections([
      { title: 'Options', rows: optionRows(command.options) },
      { title: 'Global options', rows: optionRows(globalOptions) },
    ]),
  );
  if (command.ignoredOptions?.length) {
    const names = command.ignoredOptions.map((s) => [...(s.short ?? []).map((c) => `-${c}`), `--${s.long}`].join('/'));
    lines.push('', ...wrap(`Accepted and ignored, as rdiff does: ${names.join(', ')}.`, HELP_WIDTH));
  }
  if (command.examples.length) {
    lines.push('', 'Examples:');
    for (const example of command.examples) lines.push(...wrap(`${example.what}:`, HELP_WIDTH - 2).map((l) => `  ${l}`), `    ${example.line}`);
  }
  lines.push(...sections([{ title: 'Exit status', rows: command.exitStatuses.map((e): Row => [e.status, e.meaning]) }]));
  return `${lines.join('\n')}\n`;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface VersionInfo {
  version: string;
  node: string;
  /** The backend commands run on. */
  backend: Backend;
  /** librsync linked into the native addon, when it loads. */
  librsyncVersion?: string;
  /** Why the native addon does not load, when it does not. */
  nativeError?: string;
}

export function versionInfo(requested?: Backend): VersionInfo {
  const backend = backendInfo();
  return {
    version: packageVersion(),
    node: process.version,
    backend: requested ?? backend.backend,
    librsyncVersion: backend.librsyncVersion,
    nativeError: backend.nativeErrorReason,
  };
}

export function versionText(info: VersionInfo): string {
  const native = info.librsyncVersion ?? `native addon unavailable: ${info.nativeError}`;
  return `${PROGRAM} ${info.version} (${info.backend} backend; ${native}; node ${info.node})\n`;
}
