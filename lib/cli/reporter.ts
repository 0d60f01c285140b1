// Everything the CLI says, in one place: messages and statistics on
// stderr, or with --json one JSON object on stdout (on stderr when stdout
// carries the command's data). Never anything else on stdout.
import { CliIO } from './cli-io';
import { Failure } from './failure';

export const PROGRAM = 'librsync';

export interface ReporterMode {
  json: boolean;
  verbose: boolean;
  statistics: boolean;
}

export class Reporter {
  /** Set once the command's output is known to be stdout. */
  dataOnStdout = false;
  /** The help a usage error points to: the command's, once it is known. */
  helpTopic?: string;

  constructor(
    private readonly io: CliIO,
    private readonly mode: ReporterMode,
  ) {}

  /** -v detail: parameters chosen, files used. */
  verbose(line: string): void {
    if (this.mode.verbose && !this.mode.json) this.line(line);
  }

  /** -s lines, in rdiff's "<op> statistics: ..." form. */
  statistics(lines: readonly string[]): void {
    if (this.mode.statistics && !this.mode.json) for (const l of lines) this.line(l);
  }

  success(summary: Record<string, unknown>): void {
    if (this.mode.json) this.json({ ok: true, ...summary });
  }

  failure(failure: Failure): void {
    if (this.mode.json) {
      const { code, message, exitCode, systemCode, detail, report } = failure;
      this.json({ ok: false, error: { code, message, exitCode, systemCode, detail }, ...report });
      return;
    }
    this.line(failure.message);
    if (this.mode.verbose && failure.detail) {
      for (const l of failure.detail.split(/;\s*|\n/)) if (l) this.io.stderr.write(`${l}\n`);
    }
    if (failure.usage) this.io.stderr.write(`Try '${PROGRAM} ${this.helpTopic ? `${this.helpTopic} ` : ''}--help' for more information.\n`);
  }

  /** A problem that did not stop the command (a skipped file): stderr, or only the JSON summary with --json. */
  warning(text: string): void {
    if (!this.mode.json) this.line(`warning: ${text}`);
  }

  /** A warning about how the program runs (not about the data): stderr, even with --json. */
  notice(text: string): void {
    this.line(`warning: ${text}`);
  }

  /** A command's human-readable result on stdout; nothing with --json (the summary says it all). */
  result(lines: readonly string[]): void {
    if (!this.mode.json) for (const l of lines) this.io.stdout.write(`${l}\n`);
  }

  /** Text the user asked for (--help, --version): stdout, like rdiff. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  private line(text: string): void {
    this.io.stderr.write(`${PROGRAM}: ${text}\n`);
  }

  private json(value: Record<string, unknown>): void {
    const target = this.dataOnStdout ? this.io.stderr : this.io.stdout;
    target.write(`${JSON.stringify(value)}\n`);
  }
}
