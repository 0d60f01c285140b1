'use strict';
// A Swift of the benchmark's own, started the way the tests' harness does
// (test/support/swift/swift-server.ts): swift-aio.py prints one JSON ready
// line with the S3 endpoint, tempauth URL and credentials (test:tester /
// testing), and stops when our end of its stdin closes, so a benchmark that
// dies in any way takes its Swift with it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { delimiter, isAbsolute, join } = require('node:path');

const SCRIPT = join(__dirname, '..', 'test', 'support', 'swift', 'swift-aio.py');

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The interpreter Swift is installed for: swift-proxy-server's shebang, else python3. */
function swiftPython() {
  const proxy = onPath('swift-proxy-server');
  if (proxy !== undefined) {
    const match = /^#!\s*(\S+)/.exec(fs.readFileSync(proxy, 'utf8').split('\n', 1)[0]);
    if (match && isAbsolute(match[1]) && !match[1].endsWith('/env')) return match[1];
  }
  return 'python3';
}

/** Starts Swift; resolves to its ready line plus stop(). */
function startSwift({ timeoutSeconds = 60 } = {}) {
  const child = spawn(swiftPython(), [SCRIPT, 'run', '--watch-stdin', '--timeout', String(timeoutSeconds)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (why) => {
      child.kill('SIGKILL');
      reject(new Error(`Swift did not start: ${why}${stderr ? `\n${stderr.trimEnd()}` : ''}`));
    };
    child.on('error', (error) => fail(error.message));
    exited.then((status) => fail(`swift-aio.py exited (${status}) before Swift was ready`));
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end < 0) return;
      child.stdout.removeAllListeners('data');
      let line;
      try {
        line = JSON.parse(stdout.slice(0, end));
      } catch {
        return fail(`unreadable line from swift-aio.py: ${stdout.slice(0, end)}`);
      }
      if (line.event !== 'ready') return fail(line.message ?? stdout.slice(0, end));
      // Once ready, an exit is no start failure; stop() waits for it.
      child.removeAllListeners('error');
      resolve({
        ...line,
        async stop() {
          child.stdin.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

module.exports = { startSwift, swiftPython };
