// --help and --version text, built from the command and option tables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backend } from '../backend';
import { backendInfo } from '../backend-info';
import { CliOptions } from './cli-options';
import { Command } from './command';
import { OptionSpec } from './option-spec';
import { PROGRAM } from './reporter';

function optionLabel(spec: OptionSpec<CliOptions>): string {
  const shorts = (spec.short ?? []).map((c) => `-${c}, `).join('');
  const long = `--${spec.long}${spec.value ? `=${spec.value}` : ''}`;
  return `${shorts}${long}`;
}

export function helpText(commands: readonly Command[], options: readonly OptionSpec<CliOptions>[]): string {
  const lines: string[] = [];
  commands.forEach((c, i) => {
    lines.push(`${i === 0 ? `Usage: ${PROGRAM}` : ' '.repeat(7 + PROGRAM.length)} [OPTIONS] ${c.name} ${c.synopsis}`);
  });
  lines.push('', 'Commands:');
  const nameWidth = Math.max(...commands.map((c) => c.name.length)) + 2;
  for (const c of commands) lines.push(`  ${c.name.padEnd(nameWidth)}${c.description}`);
  lines.push('', "A missing file name or '-' means stdin / stdout.");
  const width = Math.max(...options.map((o) => optionLabel(o).length)) + 4;
  let group = '';
  for (const spec of options) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `${group}:`);
    }
    lines.push(`  ${optionLabel(spec).padEnd(width)}${spec.help}`);
  }
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
