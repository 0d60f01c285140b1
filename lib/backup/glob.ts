// --exclude patterns, as rsync and tar users expect them: `*` and `?` stay
// within one path component, `**` crosses them, `[...]` is a class. A
// pattern without '/' matches a name at any depth; one with '/' matches the
// path from the source root (a leading '/' anchors it there explicitly).
import { paramError } from '../errors';

export type PathMatcher = (relativePath: string) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function globBody(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" also matches no directory at all.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw paramError(`unterminated [ in exclude pattern '${glob}'`);
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      // Like * and ?, a class stays within one name: a negated one never matches '/'.
      if (body.startsWith('!') || body.startsWith('^')) body = `^/${body.slice(1)}`;
      out += `[${body}]`;
      i = end;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

export function compileExcludes(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return () => false;
  const regexes = patterns.map((pattern) => {
    if (pattern === '') throw paramError('an exclude pattern must not be empty');
    const trimmed = pattern.replace(/\/+$/, '');
    const source = trimmed.includes('/') ? `^${globBody(trimmed.replace(/^\/+/, ''))}$` : `(?:^|/)${globBody(trimmed)}$`;
    try {
      return new RegExp(source);
    } catch (err) {
      throw paramError(`invalid exclude pattern '${pattern}': ${(err as Error).message}`);
    }
  });
  return (path) => regexes.some((r) => r.test(path));
}
