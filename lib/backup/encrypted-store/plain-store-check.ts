// What a store opened without a passphrase is wrapped in: it passes
// everything through, and its open() refuses an encrypted store with
// STORE_PASSWORD_REQUIRED (one listing of the key objects), rather than
// letting the engine take encrypted names and objects for damage.
import { LibrsyncError } from '../../errors';
import { StoreLayer } from '../store-layer';
import { keyIds } from './key-ring';

export const PASSWORD_HINT = 'give its passphrase in LIBRSYNC_PASSWORD, with --password-file FILE, or at the prompt on a terminal (the library: the password option)';

export class PlainStoreCheck extends StoreLayer {
  override async open(options: { create: boolean }): Promise<void> {
    await this.inner.open(options);
    if ((await keyIds(this.inner)).length > 0) throw new LibrsyncError('STORE_PASSWORD_REQUIRED', `${this.location} is an encrypted store: ${PASSWORD_HINT}`);
  }
}
