// How an option is described once, for the parser, the checks of which
// command takes it, and the help of every command that lists it.

export interface OptionSpec<T> {
  /** Long name without dashes: 'block-size'. */
  long: string;
  /** Single-character names: ['b'], ['?', 'h']. */
  short?: string[];
  /** Name of the value in help ('BYTES'); absent for a flag. */
  value?: string;
  help: string;
  /** What applies when the option is not given, as help shows it ('blake2', "the chain's own"). */
  default?: string;
  /** May be given more than once, each adding a value. */
  repeatable?: boolean;
  /** Heading the option is listed under in the overall help. */
  group: string;
  /** Stores the option in `target`; throws a usage error for a bad value. */
  apply(target: T, value: string | undefined): void;
}

/**
 * The same option described for one command: a shared option means
 * something more precise to each command that takes it (--level for
 * backup and for restore). Only what help says changes, never what the
 * option does.
 */
export function describedAs<T>(spec: OptionSpec<T>, help: string, defaultValue?: string): OptionSpec<T> {
  return { ...spec, help, default: defaultValue };
}

/** '-b, --block-size=BYTES' */
export function optionLabel(spec: Pick<OptionSpec<unknown>, 'long' | 'short' | 'value'>): string {
  const shorts = (spec.short ?? []).map((c) => `-${c}, `).join('');
  return `${shorts}--${spec.long}${spec.value ? `=${spec.value}` : ''}`;
}
