// The local directory store's own contract, beside what the engine tests
// exercise through it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore } from '../lib/backup';
import { scratchDir } from './support/files';

describe('LocalDirectoryStore', () => {
  const scratch = scratchDir('librsync-local-store-');
  afterAll(() => scratch.remove());

  it('sync() of a prefix nothing has been written under yet creates it instead of failing', async () => {
    // A backup that changed nothing can commit before its manifest writer has made the directory.
    const store = new LocalDirectoryStore(scratch.path('store'));
    await store.open({ create: true });
    await store.sync('n/chain-000001/000001-L1');
    expect(existsSync(join(scratch.path('store'), 'backups', 'n', 'chain-000001', '000001-L1'))).toBe(true);
  });
});
