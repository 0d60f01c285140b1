// `init STORE [--encrypt]`: a new, empty store, plain or encrypted.
import { initStore } from '../backup/encrypted-store';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { EXIT_HELP } from './exit-statuses';
import { ENCRYPT, PASSWORD_OPTIONS, askForNewStorePassword, givenPassword } from './password-options';
import { S3_OPTIONS, plainStoreArgument } from './store-options';

async function runInit(context: CommandContext): Promise<CommandOutcome> {
  const [storeName] = context.args;
  const { values, io } = context;
  if (values.password.encrypt) await askForNewStorePassword(values, io);
  const result = await initStore(plainStoreArgument(storeName, values), { password: givenPassword(values), encrypt: values.password.encrypt });
  const line = result.encrypted ? `created encrypted store ${result.location} (key ${result.keyId})` : `created store ${result.location}`;
  return reportOutcome(context, [line], result);
}

export const initCommand = ownCommand({
  name: 'init',
  synopsis: 'STORE',
  summary: 'Make a new, empty STORE (--encrypt: an encrypted one)',
  description: [
    'A backup makes its STORE on first use; init makes it beforehand, and is the way to make it encrypted (as is a first backup with --encrypt). ' +
      'A STORE that exists already is refused (STORE_EXISTS), never changed.',
    'An encrypted store holds every manifest and pack sealed with AES-256-GCM under a random master key, and backup names encrypted; the master ' +
      `key is wrapped by each passphrase (scrypt), so passphrases can be added and changed (librsync key) without re-encrypting. The passphrase comes ` +
      'from --password-file FILE, LIBRSYNC_PASSWORD, or is typed twice at a prompt. Lose every passphrase and the backups are lost.',
  ],
  group: BACKUP_COMMANDS,
  options: [ENCRYPT, ...PASSWORD_OPTIONS, ...S3_OPTIONS],
  examples: [
    { what: 'A new encrypted store, the passphrase typed at the prompt', line: 'librsync init /backups --encrypt' },
    { what: 'The same in S3, the passphrase read from a file', line: 'librsync init s3://bucket/backups --encrypt --password-file /etc/librsync/passphrase' },
    { what: 'A plain store', line: 'librsync init /backups' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; STORE_EXISTS: STORE is a backup store already; STORE_PASSWORD_REQUIRED: --encrypt with no passphrase and no terminal' },
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    { status: '108', meaning: 'RS_PARAM_ERROR: a passphrase given (LIBRSYNC_PASSWORD too) without --encrypt' },
  ],
  run: runInit,
});
