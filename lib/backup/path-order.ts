// The one order of paths shared by the source walk and every manifest:
// component by component, so a directory's whole subtree sorts right after
// it ("a", "a/b", "a/c", "a-b"). Comparing code units with '/' below every
// other character gives exactly that order without splitting strings.

const SLASH = 0x2f;

export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SLASH) return -1;
    if (y === SLASH) return 1;
    return x - y;
  }
  return a.length - b.length;
}

/** Names within one directory: plain code-unit order, which agrees with comparePaths. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `path` is `root` itself or lies below it ('' is the root of everything). */
export function isWithin(path: string, root: string): boolean {
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/** A path relative to SOURCE as a user types it (`./a/b/`), in manifest form (`a/b`; '' for SOURCE itself); undefined when unsafe. */
export function manifestPathOf(typed: string): string | undefined {
  const clean = typed.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (clean === '' || clean === '.') return '';
  return clean.length > 0 && !clean.includes('\0') && clean.split('/').every((part) => part !== '' && part !== '.' && part !== '..') ? clean : undefined;
}
