// Errors surfacing from a pipeline do not say which of our files they
// concern (and an output's error names its temporary file). Each stream
// is tagged with its role so the message can name the file the user gave.
import { Stream } from 'node:stream';

export interface StreamRole {
  action: 'read' | 'write';
  name: string;
}

const ROLE = Symbol('librsync.cli.streamRole');

export function tagStreamErrors(stream: Stream, role: StreamRole): void {
  stream.on('error', (err: unknown) => {
    if (err && typeof err === 'object' && !(ROLE in err)) Object.defineProperty(err, ROLE, { value: role });
  });
}

export function streamRole(err: unknown): StreamRole | undefined {
  return err && typeof err === 'object' ? (err as { [ROLE]?: StreamRole })[ROLE] : undefined;
}
