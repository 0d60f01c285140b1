// Every command, in the order help lists them: rdiff's three, the backup
// commands, then help. A new command is one file declaring its Command
// (synopsis, options, examples, exit statuses) and one line here.
import { Command } from './command';
import { backupCommand } from './backup-command';
import { catCommand } from './cat-command';
import { deltaCommand } from './delta-command';
import { diffCommand } from './diff-command';
import { helpCommand } from './help-command';
import { initCommand } from './init-command';
import { keyCommand } from './key-command';
import { listCommand } from './list-command';
import { patchCommand } from './patch-command';
import { pruneCommand } from './prune-command';
import { restoreCommand } from './restore-command';
import { signatureCommand } from './signature-command';
import { verifyCommand } from './verify-command';

export const COMMANDS: readonly Command[] = [
  signatureCommand,
  deltaCommand,
  patchCommand,
  backupCommand,
  restoreCommand,
  listCommand,
  verifyCommand,
  pruneCommand,
  catCommand,
  diffCommand,
  initCommand,
  keyCommand,
  helpCommand,
];
