// The one incremental shape every backend implements: feed a slice of
// input, receive output in a caller-owned buffer, repeat until done. The
// stream adapter (job-stream.ts) is the only loop that drives it.

export type JobKind = 'signature' | 'loadsig' | 'delta' | 'patch';

/** Counters like `rdiff -s`; byte counts are of this job's input and output. */
export interface JobStats {
  operation: JobKind;
  inBytes: number;
  outBytes: number;
  literalCommands: number;
  literalBytes: number;
  literalCommandBytes: number;
  copyCommands: number;
  copyBytes: number;
  copyCommandBytes: number;
  falseMatches: number;
  signatureBlocks: number;
  blockLength: number;
}

export type StepCallback = (err: Error | null, consumed: number, produced: number, done: boolean) => void;

/**
 * One step: processes input[inOff, inOff+inLen) into
 * output[outOff, outOff+outLen); `eof` says the slice ends the input.
 * Calls back once, asynchronously. Unconsumed input must be offered again.
 */
export type StepFunction<Callback> = (
  eof: boolean,
  input: Uint8Array | null,
  inOff: number,
  inLen: number,
  output: Uint8Array | null,
  outOff: number,
  outLen: number,
  callback: Callback,
) => void;

export interface Job {
  readonly kind: JobKind;
  /**
   * Input bytes this job works best with per step (a parallel job splits
   * each step into stripes); the stream gathers at least this much.
   */
  readonly preferredInput?: number;
  /** Reports how much was consumed and produced and whether the job ended. One step at a time. */
  step: StepFunction<StepCallback>;
  stats(): JobStats;
  /** Frees the job; safe while a step is in flight (freed when it returns). */
  close(): void;
}

/** Statistics with every counter at zero, and `fields` set. */
export function emptyStats(operation: JobKind, fields: Partial<JobStats> = {}): JobStats {
  return {
    operation,
    inBytes: 0,
    outBytes: 0,
    literalCommands: 0,
    literalBytes: 0,
    literalCommandBytes: 0,
    copyCommands: 0,
    copyBytes: 0,
    copyCommandBytes: 0,
    falseMatches: 0,
    signatureBlocks: 0,
    blockLength: 0,
    ...fields,
  };
}
