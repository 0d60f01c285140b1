// How an option is described once, for both the parser and --help.

export interface OptionSpec<T> {
  /** Long name without dashes: 'block-size'. */
  long: string;
  /** Single-character names: ['b'], ['?', 'h']. */
  short?: string[];
  /** Name of the value in help ('BYTES'); absent for a flag. */
  value?: string;
  help: string;
  /** Heading the option is listed under in --help. */
  group: string;
  /** Stores the option in `target`; throws a usage error for a bad value. */
  apply(target: T, value: string | undefined): void;
}
