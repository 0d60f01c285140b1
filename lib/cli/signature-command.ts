// `signature [BASIS [SIGNATURE]]`: the block signature of BASIS.
import { signature } from '../operations';
import { resolveSignatureParams } from '../signature-params';
import { jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome } from './command';
import { openInput } from './input-source';
import { OpenStreams } from './open-streams';
import { openOutput } from './output-target';
import { runJob } from './run-job';
import { formatStatistics } from './stats-format';

async function runSignature(context: CommandContext): Promise<CommandOutcome> {
  const { args, options, io, reporter } = context;
  const [basisName, signatureName] = args;
  const open = new OpenStreams();
  try {
    const input = await openInput(basisName, io);
    open.add(input.stream);
    // The size of a regular file picks the default block length, as rdiff.
    const sigOptions = {
      hash: options.hash,
      rollsum: options.rollsum,
      blockLength: options.blockLength,
      strongLength: options.strongLength,
      size: input.size,
    };
    const params = resolveSignatureParams(sigOptions); // a bad -b/-S fails before any output exists
    reporter.verbose(
      `signature of ${input.label}${input.size === undefined ? '' : ` (${input.size} bytes)`}: ` +
        `${options.hash}/${options.rollsum}, block length ${params.blockLength}, strong sum ${params.strongLength} bytes`,
    );
    const job = open.add(signature({ ...sigOptions, ...jobOptions(options) }));
    const output = await openOutput(signatureName, options.force, io);
    if (!output.isStdout) open.add(output.stream);
    const { stats, seconds } = await runJob(input, job, output, context, 'signature');
    return {
      summary: {
        input: input.label,
        output: output.label,
        params: { hash: options.hash, rollsum: options.rollsum, blockLength: params.blockLength, strongLength: params.strongLength },
        stats,
        seconds,
      },
      statistics: [formatStatistics(stats, seconds)],
    };
  } catch (err) {
    open.destroyAll();
    throw err;
  }
}

export const signatureCommand: Command = {
  name: 'signature',
  synopsis: '[BASIS [SIGNATURE]]',
  description: 'Write the signature of BASIS',
  acceptsPrefix: true,
  minArgs: 0,
  maxArgs: 2,
  outputArg: 1,
  run: runSignature,
};
