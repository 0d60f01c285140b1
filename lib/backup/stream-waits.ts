// Waits on a Writable that always settle. `events.once(w, 'finish')` and
// `once(w, 'drain')` wait forever on a stream that was destroyed before
// the call (its 'error' has been emitted already): a backup awaiting such
// a promise empties the event loop and Node exits 0 with nothing done.
// These reject instead, with the stream's own error where it has one.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

function closedEarly(stream: Writable): Error {
  return stream.errored ?? Object.assign(new Error('the output closed before it finished'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Resolves once `stream` can take more writes; rejects when it fails or closes first. */
export function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.reject(closedEarly(stream));
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('error', settle);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(closedEarly(stream));
    stream.on('drain', onDrain);
    stream.on('error', settle);
    stream.on('close', onClose);
  });
}

/** Ends `stream` and resolves once everything written is flushed (its _final done); rejects on any failure, past or future. */
export async function endAndFinish(stream: Writable, last?: Buffer | string): Promise<void> {
  const done = finished(stream, { readable: false });
  if (!stream.destroyed) {
    if (last === undefined) stream.end();
    else stream.end(last);
  }
  await done;
}
