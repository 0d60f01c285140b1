#!/usr/bin/env node
'use strict';
// Prints a digest of the native sources. The build embeds it in the addon
// so a test can prove a prebuild was made from the sources in this tree.
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

function nativeSourceHash(root = join(__dirname, '..')) {
  const dir = join(root, 'native');
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => /\.(cc|h)$/.test(n)).sort()) {
    hash.update(name + '\0');
    hash.update(readFileSync(join(dir, name)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

module.exports = { nativeSourceHash };
if (require.main === module) process.stdout.write(nativeSourceHash());
