#!/usr/bin/env node
'use strict';
// One operation through the library, run in its own process so its peak
// RSS can be measured. It runs twice: cold (first use in a fresh process)
// and warm (as in a long-running server). Prints JSON: both times
// (excluding Node startup) and the worst event-loop delay seen.
// usage: node bench/op.js native|js signature|delta|patch IN1 [IN2] OUT
const { monitorEventLoopDelay } = require('node:perf_hooks');
const lib = require('../dist/index.js');

async function main() {
  const [backend, op, a, b, c] = process.argv.slice(2);
  const run = () => {
    if (op === 'signature') return lib.signatureFile(a, b, { backend });
    if (op === 'delta') return lib.deltaFile(a, b, c, { backend });
    if (op === 'patch') return lib.patchFile(a, b, c, { backend });
    throw new Error(`unknown op ${op}`);
  };
  const timed = async () => {
    const start = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const cold = await timed(); // includes loading the addon or compiling the WebAssembly
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const seconds = await timed();
  loop.disable();
  process.stdout.write(JSON.stringify({ seconds, coldSeconds: cold, maxLoopDelayMs: loop.max / 1e6 }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
