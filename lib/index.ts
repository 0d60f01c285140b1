// librsync for Node.js: rsync signatures, deltas and patches as streams,
// byte-identical to rdiff, computed off the main thread.
export { LibrsyncError, RS_RESULT } from './errors';
export type { LibrsyncErrorCode } from './errors';
export { signature, delta, patch, loadSignature } from './operations';
export type {
  SignatureStreamOptions,
  DeltaStreamOptions,
  PatchStreamOptions,
  PatchBasis,
  LoadSignatureOptions,
} from './operations';
export { SignatureSet } from './signature-set';
export { JobStream } from './job-stream';
export type { JobStreamOptions } from './job-stream';
export type { JobStats, JobKind } from './job';
export { compareSignatures } from './compare-signatures';
export type { SignatureComparison, BlockRun, CompareOptions } from './compare-signatures';
export { signatureFile, deltaFile, patchFile, signatureBuffer, deltaBuffer, patchBuffer } from './helpers';
export type { OutputFileOptions } from './helpers';
export { resolveSignatureParams, recommendedBlockLength, MAX_BLOCK_LENGTH, DEFAULT_BLOCK_LENGTH } from './signature-params';
export type { SignatureOptions, SignatureParams } from './signature-params';
export { SIGNATURE_MAGIC, DELTA_MAGIC } from './magic';
export type { StrongHash, RollingHash } from './magic';
export type { ByteSource } from './byte-source';
export { backendInfo } from './backend-info';
export type { BackendInfo } from './backend-info';
export { setDefaultBackend } from './backend';
export type { Backend, BackendChoice, BackendOption } from './backend';
