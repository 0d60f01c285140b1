// Progress of a backup engine run (backup, restore, verify) on the one
// progress line: entries done, bytes, rate and, when a total is known, ETA.
import { BackupProgress } from '../backup/engine-options';
import { CommandContext } from './command';
import { ProgressDisplay } from './progress-display';

export interface EngineProgress {
  onProgress?: (progress: BackupProgress) => void;
  /** Wipes the line. */
  finish(): void;
}

export function engineProgress(context: CommandContext, label: string): EngineProgress {
  if (!context.showProgress) return { finish: () => undefined };
  const display = new ProgressDisplay(context.io.stderr, label);
  return {
    onProgress: (p) => display.update(p.bytes, { total: p.totalBytes, note: `${p.files} files` }),
    finish: () => display.clear(),
  };
}

/** The backend the lead's global --backend option chose, once it exists (passed through untouched). */
export function backendOption(context: CommandContext): 'native' | 'js' | undefined {
  return (context.options as { backend?: 'native' | 'js' }).backend;
}
