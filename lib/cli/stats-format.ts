// Statistics in the form `rdiff -s` prints them (librsync's
// rs_format_stats), with our measured seconds in the speed part.
import { JobStats } from '../job';

function speed(stats: JobStats, seconds: number): string {
  const mbIn = stats.inBytes / 1e6;
  const mbOut = stats.outBytes / 1e6;
  const sec = seconds > 0 ? seconds : 1e-3;
  return `speed[${mbIn.toFixed(1)} MB (${(mbIn / sec).toFixed(1)} MB/s) in, ${mbOut.toFixed(1)} MB (${(mbOut / sec).toFixed(1)} MB/s) out, ${seconds.toFixed(3)} sec]`;
}

/** "delta statistics: literal[...] copy[...] speed[...]" (sections only when non-zero, as librsync). */
export function formatStatistics(stats: JobStats, seconds: number): string {
  const parts = [`${stats.operation} statistics:`];
  if (stats.literalCommands) {
    parts.push(`literal[${stats.literalCommands} cmds, ${stats.literalBytes} bytes, ${stats.literalCommandBytes} cmdbytes]`);
  }
  if (stats.copyCommands || stats.falseMatches) {
    parts.push(`copy[${stats.copyCommands} cmds, ${stats.copyBytes} bytes, ${stats.copyCommandBytes} cmdbytes, ${stats.falseMatches} false]`);
  }
  if (stats.signatureBlocks) {
    parts.push(`signature[${stats.signatureBlocks} blocks, ${stats.blockLength} bytes per block]`);
  }
  parts.push(speed(stats, seconds));
  return parts.join(' ');
}
