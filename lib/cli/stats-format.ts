// Statistics exactly as `rdiff -s` prints them: librsync's rs_format_stats
// (2.3.2), spacing quirks included ("literal[...]  speed[" when there is
// no copy section), and its whole seconds: librsync times a job with
// time(), and takes 0 as 1 to divide by it.
import { JobStats } from '../job';

/** C's printf("%.1f", x) for x >= 0: an exact tie (only .x25 and .x75 are) rounds to even; toFixed rounds .25 up. */
export function printfFixed1(x: number): string {
  const quarters = x * 4; // exact: a power of two
  if (Number.isInteger(quarters) && quarters % 4 === 1) return (Math.floor(x * 10) / 10).toFixed(1);
  return x.toFixed(1);
}

/** rs_format_stats's seconds: whole, at least 1. */
export function wholeSeconds(seconds: number): number {
  return Math.max(1, Math.round(seconds));
}

/** "delta statistics: literal[...] copy[...] speed[...]" (sections only when non-zero, as librsync). */
export function formatStatistics(stats: JobStats, seconds: number): string {
  let line = `${stats.operation} statistics: `;
  if (stats.literalCommands) {
    line += `literal[${stats.literalCommands} cmds, ${stats.literalBytes} bytes, ${stats.literalCommandBytes} cmdbytes] `;
  }
  if (stats.copyCommands || stats.falseMatches) {
    line += `copy[${stats.copyCommands} cmds, ${stats.copyBytes} bytes, ${stats.copyCommandBytes} cmdbytes, ${stats.falseMatches} false]`;
  }
  if (stats.signatureBlocks) {
    line += `signature[${stats.signatureBlocks} blocks, ${stats.blockLength} bytes per block]`;
  }
  const sec = wholeSeconds(seconds);
  const mbIn = stats.inBytes / 1e6;
  const mbOut = stats.outBytes / 1e6;
  return `${line} speed[${printfFixed1(mbIn)} MB (${printfFixed1(mbIn / sec)} MB/s) in, ${printfFixed1(mbOut)} MB (${printfFixed1(mbOut / sec)} MB/s) out, ${sec} sec]`;
}
