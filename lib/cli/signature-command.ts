// `signature [BASIS [SIGNATURE]]`: the block signature of BASIS.
import { signature } from '../operations';
import { resolveSignatureParams } from '../signature-params';
import { BLOCK_SIZE, CONCURRENCY, FORCE, HASH, INPUT_SIZE, OUTPUT_SIZE, ROLLSUM, STATISTICS, SUM_SIZE, jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome, RDIFF_COMMANDS } from './command';
import { EXIT_HELP } from './exit-statuses';
import { describedAs } from './option-spec';
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
  summary: 'Write the signature of BASIS',
  description: [
    "The block signature of BASIS, byte for byte what rdiff writes. BASIS and SIGNATURE default to stdin and stdout ('-' names them too). " +
      'SIGNATURE is written under a temporary name and renamed when complete; an existing one is kept unless -f.',
  ],
  group: RDIFF_COMMANDS,
  acceptsPrefix: true,
  minArgs: 0,
  maxArgs: 2,
  outputArg: 1,
  options: [
    HASH,
    ROLLSUM,
    describedAs(BLOCK_SIZE, "Signature block size; 0 picks it from BASIS's size as rdiff does (2048 when the size is unknown)", '0'),
    SUM_SIZE,
    FORCE,
    STATISTICS,
    CONCURRENCY,
    INPUT_SIZE,
    OUTPUT_SIZE,
  ],
  examples: [
    { what: 'The signature of old.bin', line: 'librsync signature old.bin old.sig' },
    { what: 'One that rdiff before librsync 2.2 reads too (no RabinKarp)', line: 'librsync signature -R rollsum old.bin old.sig' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    EXIT_HELP.rdiffIo,
    EXIT_HELP.usage,
    EXIT_HELP.internal,
    { status: '108', meaning: 'bad parameter: -b or -S out of range for the hash' },
    EXIT_HELP.interrupted,
    EXIT_HELP.brokenPipe,
  ],
  run: runSignature,
};
