// Extended attributes and ACLs set and read by other programs than ours,
// so a test checks the addon against the kernel and not against itself:
// Python's os.setxattr / os.listxattr / os.getxattr (python3 builds the
// addon, so it is there wherever the addon is built), setfacl and
// getfacl from Debian's `acl` package.
import { execFileSync, spawnSync } from 'node:child_process';

const mustHaveAll = process.env.CI === 'true' || process.env.LIBRSYNC_REQUIRE_ALL === '1';

const PYTHON_XATTRS = `
import json, os, sys
op = json.loads(sys.argv[1])
out = {}
for path in op.get("dump", []):
    names = sorted(os.listxattr(path, follow_symlinks=False))
    out[path] = {n: os.getxattr(path, n, follow_symlinks=False).hex() for n in names}
for path, name, value in op.get("set", []):
    os.setxattr(path, name, bytes.fromhex(value), follow_symlinks=False)
for path, name in op.get("remove", []):
    os.removexattr(path, name, follow_symlinks=False)
print(json.dumps(out))
`;

function python(op: object): Record<string, Record<string, string>> {
  return JSON.parse(execFileSync('python3', ['-c', PYTHON_XATTRS, JSON.stringify(op)], { encoding: 'utf8' })) as Record<string, Record<string, string>>;
}

/** Sets attributes (values as Buffers or text), never through a symlink. */
export function setAttributes(path: string, attributes: Record<string, Buffer | string>): void {
  python({ set: Object.entries(attributes).map(([name, value]) => [path, name, Buffer.from(value).toString('hex')]) });
}

export function removeAttribute(path: string, name: string): void {
  python({ remove: [[path, name]] });
}

/** Every attribute of each path (not followed), name -> value in hex, names sorted. */
export function attributesOf(...paths: string[]): Record<string, Record<string, string>> {
  return python({ dump: paths });
}

/** `value` in hex, as attributesOf() shows it. */
export function hex(value: Buffer | string): string {
  return Buffer.from(value).toString('hex');
}

export const hasAclTools = spawnSync('getfacl', ['--version']).status === 0 && spawnSync('setfacl', ['--version']).status === 0;

/** describe() for suites that need setfacl and getfacl (Debian's `acl`): skipped with a warning on a developer's machine, required in CI. */
export const describeWithAclTools: jest.Describe = (() => {
  if (hasAclTools) return describe;
  if (mustHaveAll) throw new Error('setfacl and getfacl (Debian package acl) are required in CI but are missing');
  // eslint-disable-next-line no-console
  console.warn('SKIPPING tests that need setfacl and getfacl: apt-get install acl');
  return describe.skip;
})();

export function setfacl(...args: string[]): void {
  execFileSync('setfacl', args);
}

/** getfacl of every path under `root`, numeric ids, paths relative to it: comparable between a source and its restore. */
export function aclsOf(root: string): string {
  const text = execFileSync('getfacl', ['-R', '-n', '-p', '--', root], { encoding: 'utf8' });
  return text.split(`# file: ${root}`).join('# file: .');
}
