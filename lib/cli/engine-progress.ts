// Progress of a backup engine run (backup, restore, verify) on the one
// progress line: entries done, bytes, rate and, when a total is known, ETA.
import { BackupProgress, EngineOptions } from '../backup/engine-options';
import { CommandContext } from './command';
import { counted } from './plural';
import { ProgressDisplay } from './progress-display';

export interface EngineProgress {
  onProgress?: (progress: BackupProgress) => void;
  /** Wipes the line. */
  finish(): void;
}

/** What `files` counts in each phase: verify reads stored pieces, not files. */
const COUNTED: Record<BackupProgress['phase'], string> = { backup: 'file', restore: 'file', verify: 'stored piece' };

export function engineProgress(context: CommandContext, label: string): EngineProgress {
  if (!context.showProgress) return { finish: () => undefined };
  const display = new ProgressDisplay(context.io.stderr, label);
  return {
    onProgress: (p) => display.update(p.bytes, { total: p.totalBytes, note: counted(p.files, COUNTED[p.phase]) }),
    finish: () => display.clear(),
  };
}

/**
 * Runs an engine function with what every command hands it: the abort
 * signal, --backend, warnings on stderr, and progress when wanted (the
 * line is wiped however the run ends).
 */
export async function runEngine<T>(context: CommandContext, label: string, run: (common: EngineOptions) => Promise<T>): Promise<T> {
  const progress = engineProgress(context, label);
  try {
    return await run({
      backend: context.options.backend,
      signal: context.signal,
      onProgress: progress.onProgress,
      onWarning: (w) => context.reporter.warning(`${w.path || '.'}: ${w.message}`),
    });
  } finally {
    progress.finish();
  }
}
