// `patch BASIS [DELTA [NEWFILE]]`: rebuilds the new file from BASIS and DELTA.
import { patch } from '../operations';
import { usageError } from './cli-error';
import { jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome } from './command';
import { BasisFile, openBasis } from './basis-file';
import { isStdioName, openInput } from './input-source';
import { OpenStreams } from './open-streams';
import { openOutput } from './output-target';
import { runJob } from './run-job';
import { formatStatistics } from './stats-format';

async function runPatch(context: CommandContext): Promise<CommandOutcome> {
  const { args, options, io, reporter } = context;
  const [basisName, deltaName, newName] = args;
  if (basisName === '-' && isStdioName(deltaName)) throw usageError('the basis and the delta cannot both be read from stdin');
  const open = new OpenStreams();
  let basis: BasisFile | undefined;
  try {
    basis = await openBasis(basisName, io);
    const input = await openInput(deltaName, io);
    open.add(input.stream);
    const output = await openOutput(newName, options.force, io);
    if (!output.isStdout) open.add(output.stream);
    reporter.verbose(`patch ${basis.label} with ${input.label}${options.maxOutput === undefined ? '' : `, at most ${options.maxOutput} bytes out`}`);
    const job = open.add(patch(basis.basis, { maxOutput: options.maxOutput, ...jobOptions(options) }));
    const { stats, seconds } = await runJob(input, job, output, context, 'patch');
    return {
      summary: { basis: basis.label, input: input.label, output: output.label, stats, seconds },
      statistics: [formatStatistics(stats, seconds)],
    };
  } catch (err) {
    open.destroyAll();
    throw err;
  } finally {
    await basis?.close();
  }
}

export const patchCommand: Command = {
  name: 'patch',
  synopsis: 'BASIS [DELTA [NEWFILE]]',
  description: 'Rebuild NEWFILE from BASIS and DELTA',
  acceptsPrefix: true,
  minArgs: 1,
  maxArgs: 3,
  outputArg: 2,
  run: runPatch,
};
