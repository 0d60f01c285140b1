#!/usr/bin/env node
'use strict';
// One operation through the library, the way the README's quick start
// writes it (stream pipelines, Node's default 64 KiB read chunks), in its
// own process so that its peak RSS can be measured. It runs twice: cold
// (first use in a fresh process, loading the addon or compiling the
// WebAssembly) and warm (as in a long-running server), and prints JSON:
// both times (excluding Node's startup) and the event-loop delay of the
// warm run. The output is fsync'ed inside the timing, as `rdiff` is
// followed by `sync FILE`: both sides pay for making the output durable.
//
//   node bench/op.js BACKEND CONCURRENCY signature BASIS SIG
//   node bench/op.js BACKEND CONCURRENCY delta SIG NEW DELTA
//   node bench/op.js BACKEND CONCURRENCY patch BASIS DELTA OUT
//   node bench/op.js BACKEND CONCURRENCY idle
// BACKEND: native | js; CONCURRENCY: a number, or "default" to pass none.
// "idle" loads the same code and exits: the RSS that growth is measured over.
const { createReadStream, createWriteStream, statSync } = require('node:fs');
const { open } = require('node:fs/promises');
const { pipeline } = require('node:stream/promises');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const lib = require('../dist/index.js');

async function fsyncFile(path) {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function operation(backend, concurrency, op, a, b, c) {
  const options = { backend, ...(concurrency === 'default' ? {} : { concurrency: Number(concurrency) }) };
  if (op === 'signature') {
    const size = statSync(a).size;
    return async () => {
      await pipeline(createReadStream(a), lib.signature({ size, ...options }), createWriteStream(b));
      await fsyncFile(b);
    };
  }
  if (op === 'delta') {
    return async () => {
      const sig = await lib.loadSignature(a, { backend });
      try {
        await pipeline(createReadStream(b), lib.delta(sig, options), createWriteStream(c));
      } finally {
        sig.close();
      }
      await fsyncFile(c);
    };
  }
  if (op === 'patch') {
    return async () => {
      await pipeline(createReadStream(b), lib.patch(a, { backend }), createWriteStream(c));
      await fsyncFile(c);
    };
  }
  throw new Error(`unknown operation ${op}`);
}

async function main() {
  const [backend, concurrency, op, ...files] = process.argv.slice(2);
  if (op === 'idle') {
    // What any use loads: the backend's code (addon or WebAssembly) and its info.
    lib.backendInfo();
    process.stdout.write('{}');
    return;
  }
  const run = operation(backend, concurrency, op, ...files);
  const timed = async () => {
    const start = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const coldSeconds = await timed();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const seconds = await timed();
  loop.disable();
  const ms = (ns) => ns / 1e6;
  process.stdout.write(JSON.stringify({ seconds, coldSeconds, loopP99Ms: ms(loop.percentile(99)), loopMaxMs: ms(loop.max) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
