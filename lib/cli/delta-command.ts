// `delta SIGNATURE [NEWFILE [DELTA]]`: what turns the signed file into NEWFILE.
import { pipeline } from 'node:stream/promises';
import { JobStats } from '../job';
import { delta, loadSignature } from '../operations';
import { SignatureSet } from '../signature-set';
import { usageError } from './cli-error';
import { BLOCK_SIZE, CONCURRENCY, FORCE, HASH, INPUT_SIZE, OUTPUT_SIZE, ROLLSUM, STATISTICS, SUM_SIZE, jobOptions } from './cli-options';
import { Command, CommandContext, CommandOutcome, RDIFF_COMMANDS } from './command';
import { EXIT_HELP } from './exit-statuses';
import { InputMeter } from './input-meter';
import { InputSource, isStdioName, openInput } from './input-source';
import { OpenStreams } from './open-streams';
import { openOutput } from './output-target';
import { runJob } from './run-job';
import { emptyStats } from '../job';
import { formatStatistics } from './stats-format';
import { SignatureCapture, formatMatchStatistics } from './match-statistics';

interface LoadedSignature {
  set: SignatureSet;
  stats: JobStats;
  seconds: number;
}

async function loadSignatureInput(input: InputSource, context: CommandContext, capture?: SignatureCapture): Promise<LoadedSignature> {
  const meter = new InputMeter(input, context, 'loading signature');
  const started = performance.now();
  if (capture) meter.counter.on('data', (chunk: Buffer) => capture.push(chunk));
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

    // -s: rdiff's match statistics, from a replay of librsync's scan (not needed for --json, which omits the lines)
    const capture = options.statistics && !options.json ? new SignatureCapture() : undefined;
    const loaded = await loadSignatureInput(sigInput, context, capture);
    set = loaded.set;
    reporter.verbose(
      `signature ${sigInput.label}: ${set.hash}/${set.rollsum}, ${set.blockCount} blocks of ${set.blockLength} bytes, strong sum ${set.strongLength} bytes`,
    );
    const job = open.add(delta(set, jobOptions(options)));
    const replay = await capture?.replay();
    const { stats, seconds } = await runJob(newInput, job, output, context, 'delta', replay);
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
      statistics: [
        formatStatistics(loaded.stats, loaded.seconds),
        ...(replay ? [formatMatchStatistics(replay.counts)] : []),
        formatStatistics(stats, seconds),
      ],
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
  summary: 'Write the delta from the signed file to NEWFILE',
  description: [
    "What turns the file SIGNATURE was made from into NEWFILE, byte for byte what rdiff writes. NEWFILE and DELTA default to stdin and stdout ('-' names them too); " +
      'SIGNATURE and NEWFILE cannot both be stdin. DELTA is written under a temporary name and renamed when complete; an existing one is kept unless -f.',
  ],
  group: RDIFF_COMMANDS,
  acceptsPrefix: true,
  minArgs: 1,
  maxArgs: 3,
  outputArg: 2,
  options: [FORCE, STATISTICS, CONCURRENCY, INPUT_SIZE, OUTPUT_SIZE],
  ignoredOptions: [HASH, ROLLSUM, BLOCK_SIZE, SUM_SIZE],
  examples: [
    { what: 'What changed in new.bin since old.sig was made', line: 'librsync delta old.sig new.bin new.delta' },
    { what: 'The same through stdin and stdout', line: 'librsync delta old.sig < new.bin > new.delta' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    EXIT_HELP.rdiffIo,
    EXIT_HELP.usage,
    EXIT_HELP.outOfMemory,
    { status: '103', meaning: 'SIGNATURE ended early (truncated)' },
    { status: '104', meaning: 'SIGNATURE is not a signature (bad magic)' },
    { status: '106', meaning: 'SIGNATURE is corrupt (a block length above 16 MiB)' },
    EXIT_HELP.internal,
    { status: '108', meaning: "SIGNATURE's strong sums are longer than its hash's" },
    EXIT_HELP.interrupted,
    EXIT_HELP.brokenPipe,
  ],
  run: runDelta,
};
