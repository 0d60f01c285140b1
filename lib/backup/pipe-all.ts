// stream.pipeline over a list of stages built at run time (its typings
// want them spelled out one by one).
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type Stage = Readable | Writable | NodeJS.ReadableStream | NodeJS.WritableStream;

export function pipeAll(stages: readonly Stage[], signal?: AbortSignal): Promise<void> {
  const run = pipeline as unknown as (...args: unknown[]) => Promise<void>;
  return signal ? run(...stages, { signal }) : run(...stages);
}
