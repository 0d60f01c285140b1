// `patch BASIS [DELTA [NEWFILE]]`: rebuilds the new file from BASIS and DELTA.
import { patch } from '../operations';
import { usageError } from './cli-error';
import { BLOCK_SIZE, FORCE, HASH, INPUT_SIZE, MAX_OUTPUT, OUTPUT_SIZE, ROLLSUM, STATISTICS, SUM_SIZE, jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome, RDIFF_COMMANDS } from './command';
import { EXIT_HELP } from './exit-statuses';
import { describedAs } from './option-spec';
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
  summary: 'Rebuild NEWFILE from BASIS and DELTA',
  description: [
    "BASIS is read at random places, so it must be a regular file (or a block device), never stdin. DELTA and NEWFILE default to stdin and stdout ('-' names them too). " +
      'NEWFILE is written under a temporary name and renamed when complete; an existing one is kept unless -f.',
  ],
  group: RDIFF_COMMANDS,
  acceptsPrefix: true,
  minArgs: 1,
  maxArgs: 3,
  outputArg: 2,
  options: [describedAs(MAX_OUTPUT, 'Fail (108) rather than write more than BYTES: a guard against delta bombs', 'no limit'), FORCE, STATISTICS, INPUT_SIZE, OUTPUT_SIZE],
  ignoredOptions: [HASH, ROLLSUM, BLOCK_SIZE, SUM_SIZE],
  examples: [
    { what: 'Rebuild new.bin from old.bin and new.delta', line: 'librsync patch old.bin new.delta new.bin' },
    { what: 'The same from a delta of unknown origin, writing at most 10 GB', line: 'librsync patch --max-output 10000000000 old.bin new.delta new.bin' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    EXIT_HELP.rdiffIo,
    EXIT_HELP.usage,
    EXIT_HELP.outOfMemory,
    { status: '103', meaning: 'DELTA ended early (truncated)' },
    { status: '104', meaning: 'DELTA is not a delta (bad magic)' },
    { status: '106', meaning: 'DELTA is corrupt, or copies from beyond the end of BASIS' },
    EXIT_HELP.internal,
    { status: '108', meaning: 'NEWFILE would exceed --max-output' },
    EXIT_HELP.interrupted,
    EXIT_HELP.brokenPipe,
  ],
  run: runPatch,
};
