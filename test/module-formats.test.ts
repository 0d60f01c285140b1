// Both `require('librsync')` and `import ... from 'librsync'` work, with
// the same functions, and the types ship with the package.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

function run(args: string[]): string {
  const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return child.stdout.trim();
}

describe('module formats', () => {
  it('exposes the same API through import and require', () => {
    // Self-reference by package name resolves through package.json "exports".
    const esm = run([
      '--input-type=module',
      '-e',
      "import * as m from 'librsync'; import def from 'librsync'; console.log(JSON.stringify([Object.keys(m).filter(k => k !== 'default').sort(), typeof def.signature]))",
    ]);
    const cjs = run(['-e', "console.log(JSON.stringify([Object.keys(require('librsync')).sort(), 'function']))"]);
    expect(JSON.parse(esm)).toEqual(JSON.parse(cjs));
    expect(JSON.parse(cjs)[0]).toEqual(
      expect.arrayContaining(['signature', 'delta', 'patch', 'loadSignature', 'compareSignatures', 'LibrsyncError']),
    );
  });

  it('exposes librsync/backup through import and require', () => {
    const esm = run(['--input-type=module', '-e', "import * as m from 'librsync/backup'; console.log(JSON.stringify(Object.keys(m).filter(k => k !== 'default').sort()))"]);
    const cjs = run(['-e', "console.log(JSON.stringify(Object.keys(require('librsync/backup')).sort()))"]);
    expect(JSON.parse(esm)).toEqual(JSON.parse(cjs));
    expect(JSON.parse(cjs)).toEqual(expect.arrayContaining(['backup', 'restore', 'list', 'listFiles', 'verify', 'prune', 'LocalDirectoryStore', 'LibrsyncError']));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(existsSync(join(root, pkg.exports['./backup'].types))).toBe(true);
  });

  it('ships type declarations named in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(existsSync(join(root, pkg.types))).toBe(true);
    expect(existsSync(join(root, pkg.exports['.'].types))).toBe(true);
    expect(readFileSync(join(root, pkg.types), 'utf8')).toContain('compareSignatures');
  });
});
