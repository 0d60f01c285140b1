// Which librsync the compatibility suites compare with, for their names:
// `rdiff` on the PATH (its own librsync version) and the librsync the
// addon links. Their literal limits differ from 2.3.3 on (see
// lib/literal-limit.ts), so a failure reads differently for each.
import { spawnSync } from 'node:child_process';
import { nativeBinding } from '../../lib/native-binding';
import { hasNative, hasRdiff } from './requirements';

/** rdiff's librsync version ("2.3.2"), or undefined without rdiff. */
export const rdiffLibrsyncVersion: string | undefined = hasRdiff
  ? /librsync ([\d.]+)/.exec(spawnSync('rdiff', ['--version'], { encoding: 'utf8' }).stdout)?.[1]
  : undefined;

/** What the addon reports ("librsync 2.3.2"), or a note that it is not loaded. */
export const linkedLibrsync: string = hasNative ? nativeBinding().librsyncVersion : 'no addon (js follows librsync 2.3.2)';

/** For suite names: "rdiff from librsync 2.3.2; the addon links librsync 2.3.2". */
export const rdiffReference = `rdiff from librsync ${rdiffLibrsyncVersion ?? '(none)'}; the addon links ${linkedLibrsync}`;
