#!/usr/bin/env node
'use strict';
// One timed operation through the library, run in its own process so its
// peak RSS can be measured. Prints JSON: seconds (excluding Node startup)
// and the worst event-loop delay seen while it ran.
// usage: node bench/op.js signature|delta|patch IN1 [IN2] OUT
const { monitorEventLoopDelay } = require('node:perf_hooks');
const lib = require('../dist/index.js');

async function main() {
  const [op, a, b, c] = process.argv.slice(2);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = process.hrtime.bigint();
  if (op === 'signature') await lib.signatureFile(a, b);
  else if (op === 'delta') await lib.deltaFile(a, b, c);
  else if (op === 'patch') await lib.patchFile(a, b, c);
  else throw new Error(`unknown op ${op}`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  loop.disable();
  process.stdout.write(JSON.stringify({ seconds, maxLoopDelayMs: loop.max / 1e6 }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
