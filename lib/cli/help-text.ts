// --help and --version text, built from the command and option tables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  librsyncVersion?: string;
  backend?: string;
  addonError?: string;
}

export function versionInfo(): VersionInfo {
  const info: VersionInfo = { version: packageVersion(), node: process.version };
  try {
    const backend = backendInfo();
    info.librsyncVersion = backend.librsyncVersion;
    info.backend = backend.backend;
  } catch (err) {
    info.addonError = err instanceof Error ? err.message : String(err);
  }
  return info;
}

export function versionText(info: VersionInfo): string {
  const engine = info.librsyncVersion ? `${info.librsyncVersion}, ${info.backend}` : `native addon unavailable: ${info.addonError}`;
  return `${PROGRAM} ${info.version} (${engine}; node ${info.node})\n`;
}
