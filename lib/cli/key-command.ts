// `key list|add|remove|passwd STORE [ID]`: the passphrases of an encrypted
// store, restic's way. Each key wraps the store's one master key, so none
// of these re-encrypts anything.
import { addStoreKey, changeStorePassword, listStoreKeys, removeStoreKey } from '../backup/encrypted-store';
import { usageError } from './cli-error';
import { BACKUP_COMMANDS, Command, CommandContext, CommandOutcome, reportOutcome } from './command';
import { EXIT_HELP } from './exit-statuses';
import { NEW_PASSWORD_FILE, PASSWORD_OPTIONS, newPassword } from './password-options';
import { S3_OPTIONS, storeArgument } from './store-options';

const ACTIONS = ['list', 'add', 'remove', 'passwd'] as const;

async function runKey(context: CommandContext): Promise<CommandOutcome> {
  const [action, storeName, id] = context.args;
  const { values, io } = context;
  if (!(ACTIONS as readonly string[]).includes(action)) throw usageError(`key: unknown action '${action}': one of ${ACTIONS.join(', ')}`);
  if ((action === 'remove') !== (id !== undefined)) throw usageError(action === 'remove' ? 'key remove: which key? (key remove STORE ID; key list shows them)' : `key ${action}: too many arguments`);
  if (action !== 'add' && action !== 'passwd' && values.password.newFile !== undefined) throw usageError(`key ${action}: --new-password-file goes with key add and key passwd`);
  const store = storeArgument(storeName, values);
  if (action === 'list') {
    const keys = await listStoreKeys(store, {});
    const lines = keys.map((k) => `${k.inUse ? '*' : ' '} ${k.id}  ${k.created}  ${k.user}@${k.host}`);
    return reportOutcome(context, lines, { keys });
  }
  if (action === 'remove') {
    await removeStoreKey(store, id, {});
    return reportOutcome(context, [`removed key ${id}`], { removed: id });
  }
  // The passphrase in use is checked first: a new one is not asked for in vain.
  await listStoreKeys(store, {});
  const fresh = await newPassword(values, io);
  if (action === 'add') {
    const added = await addStoreKey(store, fresh, {});
    return reportOutcome(context, [`added key ${added}`], { added });
  }
  const changed = await changeStorePassword(store, fresh, {});
  return reportOutcome(context, [`added key ${changed.added}, removed key ${changed.removed}`], changed);
}

export const keyCommand: Command = {
  name: 'key',
  synopsis: 'list|add|remove|passwd STORE [ID]',
  summary: 'List, add, remove or change the passphrases of an encrypted STORE',
  description: [
    'Every passphrase of an encrypted store wraps the same master key: adding, removing or changing one re-encrypts nothing. The passphrase given ' +
      '(--password-file, LIBRSYNC_PASSWORD or the prompt) opens the store; a new one comes from --new-password-file FILE, or is typed twice.',
    'list: each key, its id, when and by whom (user@host) it was added; * marks the one in use (the one the passphrase given opens). ' +
      'add: a key for a new passphrase. remove ID: that key; never the one in use, nor the last. passwd: a key for a new passphrase, then the one ' +
      'in use removed. Each change holds the store lock, as a backup does.',
  ],
  group: BACKUP_COMMANDS,
  acceptsPrefix: false,
  minArgs: 2,
  maxArgs: 3,
  options: [NEW_PASSWORD_FILE, ...PASSWORD_OPTIONS, ...S3_OPTIONS],
  examples: [
    { what: 'The keys of /backups', line: 'librsync key list /backups' },
    { what: 'A second passphrase, read from a file', line: 'librsync key add /backups --new-password-file /root/second-passphrase' },
    { what: 'Change the passphrase (typed at the prompts)', line: 'librsync key passwd /backups' },
    { what: 'Remove a key list showed', line: 'librsync key remove /backups 3f2a9c0e1b7d4a65' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_LOCKED (a backup or prune runs); BACKUP_NOT_FOUND (no key ID)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '108', meaning: 'RS_PARAM_ERROR: remove of the key in use or of the last key' },
  ],
  run: runKey,
};
