// The one way a stored piece is read back: its range of the pack, through
// a FrameDecoder when it is framed (its ref has rawLength), then checked
// against the length and SHA-256 of its raw bytes: the check fails the
// stream before it ends, so nothing downstream commits damaged bytes.
// Pieces of format-1 stores (no rawLength) are read as they are stored.
import { Readable } from 'node:stream';
import { FrameDecoder } from './compression/frame-decoder';
import { DigestStream } from './digest-stream';
import { ObjectRef } from './manifest';
import { BackupStore } from './store';
import { packKey } from './store-keys';

export interface PieceSource {
  store: BackupStore;
  name: string;
  chain: string;
}

/**
 * The stages that yield the raw bytes of the piece at `ref` (for pipeAll);
 * `damaged(why)` is the error for damage found in it (a frame that does
 * not decode, the wrong length or SHA-256).
 */
export function readPiece(source: PieceSource, ref: ObjectRef, damaged: (why: string) => Error): Readable[] {
  const stored = source.store.readObject(packKey(source.name, source.chain, ref.backup, ref.pack), { start: ref.offset, end: ref.offset + ref.length });
  const rawLength = ref.rawLength ?? ref.length;
  const check = new DigestStream({ sha256: ref.sha256, length: rawLength, mismatch: () => damaged('SHA-256 mismatch') });
  if (ref.rawLength === undefined) return [stored, check];
  return [stored, new FrameDecoder({ maxRawBytes: rawLength, damaged }), check];
}
