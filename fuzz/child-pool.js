'use strict';
// Runs cases in a forked worker so that whatever kills a process (an abort
// or segfault in the addon, V8 running out of heap) kills the worker, not
// the fuzzer. Each case has a timeout and the worker's resident memory is
// polled while it runs (native allocations do not show in V8's heap): a
// hang or a blow-up is recorded and the worker replaced.
const { fork } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

function residentBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

class ChildPool {
  constructor({ scratch, maxRssBytes, heapMiB }) {
    this.scratch = scratch;
    this.maxRssBytes = maxRssBytes;
    this.heapMiB = heapMiB;
    this.child = undefined;
    this.nextId = 0;
    this.restarts = 0;
    this.peakRss = 0;
  }

  async start() {
    const child = fork(join(__dirname, 'worker.js'), [this.scratch], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${this.heapMiB}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderrTail = '';
    child.stderr.on('data', (d) => {
      child.stderrTail = (child.stderrTail + d.toString()).slice(-4000);
    });
    await new Promise((resolve, reject) => {
      child.once('message', (m) => (m && m.ready ? resolve() : reject(new Error('worker did not start'))));
      child.once('exit', (code, signal) => reject(new Error(`worker exited at start: ${code ?? signal}: ${child.stderrTail}`)));
    });
    child.removeAllListeners('exit');
    this.child = child;
  }

  /** Resolves { kind: 'result' | 'crash' | 'hang' | 'memory', ... }; never rejects for the case's sake. */
  async run(testCase, timeoutMs) {
    if (!this.child) await this.start();
    const child = this.child;
    const id = this.nextId++;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome, kill) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        child.removeListener('message', onMessage);
        child.removeListener('exit', onExit);
        if (kill) this.replace(child);
        resolve(outcome);
      };
      const onMessage = (m) => {
        if (m.id !== id) return;
        this.peakRss = Math.max(this.peakRss, m.rss);
        if (m.rss > this.maxRssBytes) finish({ kind: 'memory', rss: m.rss, stderr: child.stderrTail }, true);
        else finish({ kind: 'result', result: m.result, rss: m.rss }, false);
      };
      const onExit = (code, signal) => {
        this.child = undefined;
        this.restarts++;
        finish({ kind: 'crash', code, signal, stderr: child.stderrTail }, false);
      };
      const timer = setTimeout(() => finish({ kind: 'hang', timeoutMs, stderr: child.stderrTail }, true), timeoutMs);
      const poll = setInterval(() => {
        const rss = residentBytes(child.pid);
        this.peakRss = Math.max(this.peakRss, rss);
        if (rss > this.maxRssBytes) finish({ kind: 'memory', rss, stderr: child.stderrTail }, true);
      }, 50);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, testCase });
    });
  }

  replace(child) {
    if (this.child === child) this.child = undefined;
    this.restarts++;
    child.kill('SIGKILL');
  }

  async stop() {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

module.exports = { ChildPool };
