// Statistics exactly as `rdiff -s` prints them: librsync's rs_format_stats
// (2.3.2), spacing quirks included ("literal[...]  speed[" when there is
// no copy section), and its whole seconds: librsync times a job with
// time(), and takes 0 as 1 to divide by it.
import { JobStats } from '../job';

/**
 * C's printf("%.Nf", x) for x >= 0. It rounds the exact binary value, an
 * exact tie (0.25, 0.0625) to even, where toFixed rounds a tie up.
 */
export function printfFixed(x: number, digits: number): string {
  const exact = x.toFixed(Math.min(100, digits + 30)); // every tie is exact within 30 more digits
  const kept = exact.slice(0, exact.length - 30);
  if (/^50*$/.test(exact.slice(exact.length - 30)) && Number(kept[kept.length - 1]) % 2 === 0) return kept;
  return x.toFixed(digits);
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
  return `${line} speed[${printfFixed(mbIn, 1)} MB (${printfFixed(mbIn / sec, 1)} MB/s) in, ${printfFixed(mbOut, 1)} MB (${printfFixed(mbOut / sec, 1)} MB/s) out, ${sec} sec]`;
}
