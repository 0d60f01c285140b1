// File systems stamp mtimes from a coarse clock (a kernel tick, 1 to 10
// ms; seconds on some file systems), so two writes within one tick leave
// the same mtime and size: a read that begins in the tick of the file's
// last change can miss a change made during it, and fstat before and
// after would not tell (git's "racily clean" problem). A read is trusted
// only when it begins at least a tick after the mtime it was checked
// against; otherwise we wait for the tick to pass and stat again.
import { BigIntStats } from 'node:fs';
import { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A tick of the kernel's coarse clock, generously (HZ=100 gives 10 ms). */
const FINE_TICK_NS = 20_000_000n;
/** File systems with whole-second (or two-second) times show a zero nanoseconds part. */
const COARSE_TICK_NS = 2_000_000_000n;
const WAITS = 4;

function tickOf(stat: BigIntStats): bigint {
  return stat.mtimeNs % 1_000_000_000n === 0n ? COARSE_TICK_NS : FINE_TICK_NS;
}

/** Whether a read starting now could miss a change that keeps `stat`'s mtime. */
export function racy(stat: BigIntStats, nowNs = BigInt(Date.now()) * 1_000_000n): boolean {
  const age = nowNs - stat.mtimeNs;
  const tick = tickOf(stat);
  // An mtime well in the future cannot be repeated by a write made now.
  return age < tick && age > -tick;
}

/**
 * The file's stat once its last change is at least a tick old, waiting
 * (a few times at most) for that; `racy` tells whether it still is (a
 * file written every few milliseconds), in which case a read of it must
 * not be trusted as a version that existed.
 */
export async function settledStat(handle: FileHandle, stat: BigIntStats): Promise<{ stat: BigIntStats; racy: boolean }> {
  for (let wait = 0; wait < WAITS && racy(stat); wait++) {
    const age = BigInt(Date.now()) * 1_000_000n - stat.mtimeNs;
    await sleep(Math.max(1, Math.ceil(Number(tickOf(stat) - age) / 1e6)));
    stat = await handle.stat({ bigint: true });
  }
  return { stat, racy: racy(stat) };
}
