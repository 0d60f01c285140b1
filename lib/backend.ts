// Which implementation runs a job: the native addon (librsync) or the
// TypeScript one. Per call `backend`, else the process default
// (setDefaultBackend), else LIBRSYNC_BACKEND, else native when the addon
// loads and js otherwise, with one warning saying why.
import { LibrsyncError, paramError } from './errors';
import { nativeLoadError } from './native-binding';

export type Backend = 'native' | 'js';
export type BackendChoice = Backend | 'auto';

export interface BackendOption {
  /** 'native' (librsync) or 'js' (TypeScript); default: see setDefaultBackend(). */
  backend?: Backend;
}

let processDefault: BackendChoice | undefined;
let warned = false;

function checkChoice(value: unknown, where: string): BackendChoice {
  if (value === 'native' || value === 'js' || value === 'auto') return value;
  throw paramError(`${where} must be 'native', 'js' or 'auto', not ${JSON.stringify(value)}`);
}

function environmentChoice(): BackendChoice {
  const value = process.env.LIBRSYNC_BACKEND;
  return value === undefined || value === '' ? 'auto' : checkChoice(value, 'LIBRSYNC_BACKEND');
}

/** Sets the backend used when a call names none ('auto' or undefined: back to LIBRSYNC_BACKEND / automatic). */
export function setDefaultBackend(choice: BackendChoice | undefined): void {
  if (choice !== undefined) checkChoice(choice, 'backend');
  if (choice === 'native') requireNative();
  processDefault = choice === 'auto' ? undefined : choice;
}

function requireNative(): void {
  const error = nativeLoadError();
  if (error) throw new LibrsyncError('RS_ADDON_UNAVAILABLE', `backend 'native' was requested but ${error.message}`, { cause: error });
}

/** The backend a call runs on. Asking for native where it cannot load throws RS_ADDON_UNAVAILABLE. */
export function resolveBackend(requested?: Backend): Backend {
  const choice = requested === undefined ? (processDefault ?? environmentChoice()) : checkChoice(requested, 'backend');
  if (choice === 'native') {
    requireNative();
    return 'native';
  }
  if (choice === 'js') return 'js';
  const error = nativeLoadError();
  if (!error) return 'native';
  if (!warned) {
    warned = true;
    process.emitWarning(`using the TypeScript backend: ${error.message}`, { code: 'LIBRSYNC_JS_FALLBACK' });
  }
  return 'js';
}
