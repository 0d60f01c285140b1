// A job stream run over one buffer held whole: what it writes, once it has ended.
import { finished } from 'node:stream/promises';
import { JobStream } from '../job-stream';

export async function runWhole(job: JobStream, input: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  job.on('data', (c: Buffer) => chunks.push(c));
  const done = finished(job);
  job.end(input);
  await done;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
