// How the backup commands get an encrypted store's passphrase: the
// LIBRSYNC_PASSWORD environment variable, --password-file FILE (its first
// line), or a prompt on the terminal without echo (asked twice when it
// makes a new key). Never an option's value: argv shows in `ps` and in
// shell history. Any passphrase given, from anywhere, means the store must
// be encrypted: a plain store is then refused (STORE_NOT_ENCRYPTED) rather
// than trusted, so that a store swapped for a plain one is noticed.
import { readFileSync } from 'node:fs';
import { StoreAccessOptions } from '../backup/engine-options';
import { CliError, usageError } from './cli-error';
import { CliIO } from './cli-io';
import { CommandValues } from './command-options';
import { OptionSpec } from './option-spec';
import { canPrompt, promptHidden } from './password-prompt';
import { LibrsyncError } from '../errors';

export const PASSWORD_ENV = 'LIBRSYNC_PASSWORD';

export interface PasswordCommandValues {
  file?: string;
  newFile?: string;
  /** --encrypt: a new store (or one without backups) is made encrypted. */
  encrypt: boolean;
  /** Typed at the prompt during this run. */
  typed?: string;
}

export function defaultPasswordValues(): PasswordCommandValues {
  return { encrypt: false };
}

const GROUP = 'Encryption options';

export const PASSWORD_FILE: OptionSpec<CommandValues> = {
  long: 'password-file',
  value: 'FILE',
  group: GROUP,
  help: `The passphrase of an encrypted STORE: the first line of FILE (else ${PASSWORD_ENV}, else a prompt on a terminal)`,
  apply: (v, text) => (v.password.file = text),
};
export const ENCRYPT: OptionSpec<CommandValues> = {
  long: 'encrypt',
  group: GROUP,
  help: 'Make a new STORE encrypted (an existing plain store holding backups is refused)',
  apply: (v) => (v.password.encrypt = true),
};
export const NEW_PASSWORD_FILE: OptionSpec<CommandValues> = {
  long: 'new-password-file',
  value: 'FILE',
  group: GROUP,
  help: 'The new passphrase: the first line of FILE (else a prompt on a terminal, asked twice)',
  apply: (v, text) => (v.password.newFile = text),
};

/** The options every command that opens a store takes. */
export const PASSWORD_OPTIONS = [PASSWORD_FILE] as const;

/** The first line of FILE, without its line ending; a usage error when it cannot be read or is empty. */
function firstLine(file: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`${option}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const line = text.split('\n')[0].replace(/\r$/, '');
  if (line === '') throw usageError(`${option}: '${file}' starts with an empty line: no passphrase`);
  return line;
}

/** The passphrase given for this run, if any: --password-file, else LIBRSYNC_PASSWORD (empty counts as unset), else one typed. */
export function givenPassword(values: CommandValues): string | undefined {
  const p = values.password;
  if (p.file !== undefined) return firstLine(p.file, '--password-file');
  const env = process.env[PASSWORD_ENV];
  if (env !== undefined && env !== '') return env;
  return p.typed;
}

/** What the engine is given to open STORE: the passphrase, and whether to make the store encrypted. */
export function storeAccess(values: CommandValues): StoreAccessOptions {
  return { password: givenPassword(values), encrypt: values.password.encrypt || undefined };
}

/** A new passphrase typed twice, the same both times. */
async function typedTwice(io: CliIO, what: string): Promise<string> {
  const first = await promptHidden(io, `${what}: `);
  if (first === '') throw usageError('an empty passphrase');
  const again = await promptHidden(io, `${what} again: `);
  if (again !== first) throw usageError('the two passphrases typed differ');
  return first;
}

/**
 * Before a run that makes a store encrypted (--encrypt, init --encrypt):
 * with no passphrase given and a terminal, one is asked for, twice.
 */
export async function askForNewStorePassword(values: CommandValues, io: CliIO): Promise<void> {
  if (givenPassword(values) === undefined && canPrompt(io)) values.password.typed = await typedTwice(io, 'passphrase for the new encrypted store');
}

/** The new passphrase of key add / key passwd: --new-password-file, else typed twice. */
export async function newPassword(values: CommandValues, io: CliIO): Promise<string> {
  if (values.password.newFile !== undefined) return firstLine(values.password.newFile, '--new-password-file');
  if (!canPrompt(io)) throw usageError('a new passphrase is needed: give --new-password-file FILE, or run on a terminal to type it');
  return typedTwice(io, 'new passphrase');
}

/**
 * After a run failed with STORE_PASSWORD_REQUIRED and no passphrase had
 * been given: on a terminal, asks for one (the caller runs again, which is
 * safe: a store is opened before any work). Whether one was typed.
 */
export async function askAfterRefusal(err: unknown, values: CommandValues, io: CliIO): Promise<boolean> {
  if (!(err instanceof LibrsyncError) || err.code !== 'STORE_PASSWORD_REQUIRED') return false;
  if (givenPassword(values) !== undefined || !canPrompt(io)) return false;
  const typed = await promptHidden(io, 'passphrase: ');
  if (typed === '') throw new CliError('STORE_PASSWORD_REQUIRED', err.result, err.message);
  values.password.typed = typed;
  return true;
}
