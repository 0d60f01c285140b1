// Delta commands in librsync's encoding: LITERAL with an immediate length
// up to 64 and otherwise the narrowest of 1, 2 or 4 length bytes; COPY
// with the narrowest width for offset and length chosen independently.
import { JobStats } from '../job';
import { OutputTube } from './output-tube';

export const OP_END = 0x00;
export const OP_LITERAL_N1 = 0x41;
export const OP_COPY_BASE = 0x45;
export const MAX_IMMEDIATE_LITERAL = 64;

/** 1, 2, 4 or 8: bytes needed for an unsigned value. */
export function widthOf(value: number): number {
  if (value <= 0xff) return 1;
  if (value <= 0xffff) return 2;
  if (value <= 0xffffffff) return 4;
  return 8;
}

/** Index of a width in [1, 2, 4, 8]. */
function widthIndex(width: number): number {
  return width === 1 ? 0 : width === 2 ? 1 : width === 4 ? 2 : 3;
}

export function writeLiteral(tube: OutputTube, counters: JobStats, data: Uint8Array, start: number, end: number): void {
  const length = end - start;
  let commandBytes = 1;
  if (length <= MAX_IMMEDIATE_LITERAL) {
    tube.putByte(length);
  } else {
    const width = widthOf(length);
    tube.putByte(OP_LITERAL_N1 + widthIndex(width));
    tube.putUint(length, width);
    commandBytes += width;
  }
  tube.put(data, start, end);
  counters.literalCommands++;
  counters.literalBytes += length;
  counters.literalCommandBytes += commandBytes;
}

export function writeCopy(tube: OutputTube, counters: JobStats, position: number, length: number): void {
  const positionWidth = widthOf(position);
  const lengthWidth = widthOf(length);
  tube.putByte(OP_COPY_BASE + widthIndex(positionWidth) * 4 + widthIndex(lengthWidth));
  tube.putUint(position, positionWidth);
  tube.putUint(length, lengthWidth);
  counters.copyCommands++;
  counters.copyBytes += length;
  counters.copyCommandBytes += 1 + positionWidth + lengthWidth;
}
