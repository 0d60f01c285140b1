// `delta SIGNATURE [NEWFILE [DELTA]]`: what turns the signed file into NEWFILE.
import { pipeline } from 'node:stream/promises';
import { JobStats } from '../job';
import { delta, loadSignature } from '../operations';
import { SignatureSet } from '../signature-set';
import { usageError } from './cli-error';
import { jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome } from './command';
import { InputMeter } from './input-meter';
import { InputSource, isStdioName, openInput } from './input-source';
import { OpenStreams } from './open-streams';
import { openOutput } from './output-target';
import { runJob } from './run-job';
import { emptyStats } from '../job';
import { formatStatistics } from './stats-format';

interface LoadedSignature {
  set: SignatureSet;
  stats: JobStats;
  seconds: number;
}

async function loadSignatureInput(input: InputSource, context: CommandContext): Promise<LoadedSignature> {
  const meter = new InputMeter(input, context, 'loading signature');
  const started = performance.now();
  try {
    const feeding = pipeline(input.stream, meter.counter, { signal: context.signal });
    feeding.catch(() => undefined); // a read error reaches loadSignature through the counter
    const set = await loadSignature(meter.counter, { signal: context.signal, backend: context.options.backend });
    await feeding;
    const stats = emptyStats('loadsig', { inBytes: meter.bytes, signatureBlocks: set.blockCount, blockLength: set.blockLength });
    return { set, stats, seconds: (performance.now() - started) / 1000 };
  } finally {
    meter.finish();
  }
}

async function runDelta(context: CommandContext): Promise<CommandOutcome> {
  const { args, options, io, reporter } = context;
  const [signatureName, newName, deltaName] = args;
  if (isStdioName(signatureName) && isStdioName(newName)) throw usageError('the signature and the new file cannot both be read from stdin');
  const open = new OpenStreams();
  let set: SignatureSet | undefined;
  try {
    const sigInput = await openInput(signatureName, io);
    open.add(sigInput.stream);
    const newInput = await openInput(newName, io);
    open.add(newInput.stream);
    const output = await openOutput(deltaName, options.force, io);
    if (!output.isStdout) open.add(output.stream);

    const loaded = await loadSignatureInput(sigInput, context);
    set = loaded.set;
    reporter.verbose(
      `signature ${sigInput.label}: ${set.hash}/${set.rollsum}, ${set.blockCount} blocks of ${set.blockLength} bytes, strong sum ${set.strongLength} bytes`,
    );
    const job = open.add(delta(set, jobOptions(options)));
    const { stats, seconds } = await runJob(newInput, job, output, context, 'delta');
    return {
      summary: {
        signature: sigInput.label,
        input: newInput.label,
        output: output.label,
        signatureInfo: {
          hash: set.hash,
          rollsum: set.rollsum,
          blockLength: set.blockLength,
          strongLength: set.strongLength,
          blocks: set.blockCount,
        },
        stats,
        seconds,
      },
      statistics: [formatStatistics(loaded.stats, loaded.seconds), formatStatistics(stats, seconds)],
    };
  } catch (err) {
    open.destroyAll();
    throw err;
  } finally {
    set?.close();
  }
}

export const deltaCommand: Command = {
  name: 'delta',
  synopsis: 'SIGNATURE [NEWFILE [DELTA]]',
  description: 'Write the delta from the signed file to NEWFILE',
  acceptsPrefix: true,
  minArgs: 1,
  maxArgs: 3,
  outputArg: 2,
  run: runDelta,
};
