// The one pipeline every transforming command runs: input → byte meter →
// librsync job → output, timed, with the job's statistics at the end.
import { Transform } from 'node:stream';
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

/** `observer`, if given, sees the input on its way to the job (a pass-through, as -s's match replay). */
export async function runJob(input: InputSource, job: JobStream, output: OutputTarget, context: CommandContext, label: string, observer?: Transform): Promise<JobRun> {
  const meter = new InputMeter(input, context, label);
  const started = performance.now();
  try {
    // stdout is the process's: pipeline ends it as a stream but never closes the descriptor.
    const stages = observer ? [meter.counter, observer, job] : [meter.counter, job];
    await pipeline([input.stream, ...stages, output.stream], { signal: context.signal });
  } catch (err) {
    // Exit only once a failed output's temporary file is removed.
    if (output.stream instanceof AtomicFileWriter) await output.stream.settled();
    throw err;
  } finally {
    meter.finish();
  }
  return { stats: job.stats!, seconds: (performance.now() - started) / 1000 };
}
