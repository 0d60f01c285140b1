// The one pipeline every transforming command runs: input → byte meter →
// librsync job → output, timed, with the job's statistics at the end.
import { pipeline } from 'node:stream/promises';
import { AtomicFileWriter } from '../atomic-file';
import { JobStats } from '../job';
import { JobStream } from '../job-stream';
import { CommandContext } from './command';
import { InputMeter } from './input-meter';
import { InputSource } from './input-source';
import { OutputTarget } from './output-target';

export interface JobRun {
  stats: JobStats;
  seconds: number;
}

export async function runJob(input: InputSource, job: JobStream, output: OutputTarget, context: CommandContext, label: string): Promise<JobRun> {
  const meter = new InputMeter(input, context, label);
  const started = performance.now();
  try {
    // stdout is the process's: pipeline ends it as a stream but never closes the descriptor.
    await pipeline(input.stream, meter.counter, job, output.stream, { signal: context.signal });
  } catch (err) {
    // Exit only once a failed output's temporary file is removed.
    if (output.stream instanceof AtomicFileWriter) await output.stream.settled();
    throw err;
  } finally {
    meter.finish();
  }
  return { stats: job.stats!, seconds: (performance.now() - started) / 1000 };
}
