'use strict';
// Draws one manifest or restore case: which manifest of the seed store to
// replace (mostly the newest, which restore and listFiles read), the
// hostile edits, whether it is re-sealed, and the call's options (a level,
// --path selections, some of them unsafe).
const { mutateManifest } = require('./manifest-mutations');
const { parseManifest } = require('./manifest-seal');

function pathsOption(rng, text) {
  const paths = parseManifest(text).entries.map((e) => e.path).filter((p) => p !== '');
  const n = 1 + rng.below(2);
  return Array.from({ length: n }, () => (rng.chance(0.85) ? rng.pick(paths) : rng.pick(['..', '../x', '/abs', 'no-such', './dir/', 'dir/../a.txt'])));
}

function backupCase(rng, seeds, target) {
  const { manifests } = seeds.backup;
  const index = rng.chance(0.85) ? manifests.length - 1 : rng.below(manifests.length);
  const seed = manifests[index];
  const m = mutateManifest(rng, seed.text, { restoreHeavy: target === 'restore' });
  const options = {};
  if (rng.chance(0.1)) options.level = rng.below(4);
  if (target === 'restore' && rng.chance(0.15)) options.paths = pathsOption(rng, seed.text);
  const original = parseManifest(seed.text);
  const { sha256: _s, ...originalTrailer } = original.trailer;
  const { sha256: _t, ...trailer } = m.trailer ?? {};
  const originalBody = [original.header, ...original.entries].map((l) => `${JSON.stringify(l)}\n`).join('');
  const edited = m.body !== originalBody || m.trailer === null || JSON.stringify(trailer) !== JSON.stringify(originalTrailer);
  return {
    target,
    seedStore: seeds.backup.store,
    name: seeds.backup.name,
    manifestKey: seed.key,
    manifestId: seed.id,
    newest: index === manifests.length - 1,
    manifest: { body: m.body, trailer: m.trailer, reseal: m.reseal },
    edited,
    options,
    what: `${seed.id}: ${m.what}${m.reseal ? '' : ' (not re-sealed)'}; options ${JSON.stringify(options)}`,
  };
}

module.exports = { backupCase };
