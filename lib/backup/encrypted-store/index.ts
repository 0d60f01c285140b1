// Encrypted stores: the layer (EncryptedStore), making a store (initStore)
// and managing its passphrases.
export { EncryptedStore } from './encrypted-store';
export type { EncryptedStoreOptions } from './encrypted-store';
export { initStore } from './store-init';
export type { InitOptions, InitResult } from './store-init';
export { addStoreKey, listStoreKeys, removeStoreKey, changeStorePassword } from './store-keys';
export type { StoreKeyInfo, StoreKeyOptions } from './store-keys';
export { DEFAULT_SCRYPT } from './key-object';
export type { ScryptParams } from './key-object';
export { PASSWORD_HINT } from './plain-store-check';
