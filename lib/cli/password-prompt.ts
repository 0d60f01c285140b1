// Asking for a passphrase on the terminal, without echo: stdin in raw mode,
// characters taken until Enter (Backspace erases, Ctrl-C and Ctrl-D give
// up). Nothing typed is ever written anywhere.
import { ReadStream } from 'node:tty';
import { CliIO } from './cli-io';
import { interrupted, usageError } from './cli-error';

/** Whether a prompt can be shown: stdin and stderr are a terminal. */
export function canPrompt(io: CliIO): boolean {
  return (io.stdin as Partial<ReadStream>).isTTY === true && typeof (io.stdin as Partial<ReadStream>).setRawMode === 'function' && io.stderr.isTTY === true;
}

export function promptHidden(io: CliIO, prompt: string): Promise<string> {
  const stdin = io.stdin as ReadStream;
  // Echo off before the prompt shows: an answer typed the moment it appears is not echoed either.
  stdin.setRawMode(true);
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(interrupted('SIGINT'));
        if (char === '\u0004') return done(usageError('no passphrase given at the prompt'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}
