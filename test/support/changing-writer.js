// A writer that keeps changing files while backups read them, for
// backup-changing-writer.test.ts. Run as: node changing-writer.js DIR LOG SEED
// Each complete version of each file is logged ("path sha256") BEFORE it
// can be seen at its path, so the test knows every version that existed:
//   replaced.bin  16 MiB, replaced whole by rename (save-by-rename)
//   rewritten.bin 3 MiB, rewritten in place (truncate, then one write: empty
//                 for a moment, which is logged as a version too)
//   appended.log  grows by appends, sometimes truncated to zero
//   small.txt     rewritten in place, a few KiB (read ahead, in memory)
// It stops when its stdin closes.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const [dir, logPath, seedText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
function random() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
}
function bytes(n) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) out.writeUInt32LE((random() * 2 ** 32) >>> 0, Math.min(i, n - 4));
  return out;
}
const log = fs.openSync(logPath, 'a');
function record(name, content) {
  fs.writeSync(log, `${name} ${createHash('sha256').update(content).digest('hex')}\n`);
}

let stop = false;
process.stdin.on('close', () => (stop = true));
process.stdin.on('end', () => (stop = true));
process.stdin.resume();

const big = bytes(16 << 20);
let appended = Buffer.alloc(0);
let step = 0;

function changeOnce() {
  step++;
  // A new version of replaced.bin: a fresh file, then one rename over the old.
  big.writeUInt32LE(step, (step * 4099) % (big.length - 4));
  record('replaced.bin', big);
  const temp = path.join(dir, `.replaced.bin.${step}`);
  fs.writeFileSync(temp, big);
  fs.renameSync(temp, path.join(dir, 'replaced.bin'));

  // rewritten.bin in place: writeFileSync truncates first, so the empty file is a state that exists
  // for a moment; the states within the one write(2) that follows are not versions (the backup must notice them).
  const rewritten = bytes(3 << 20);
  record('rewritten.bin', Buffer.alloc(0));
  record('rewritten.bin', rewritten);
  fs.writeFileSync(path.join(dir, 'rewritten.bin'), rewritten);

  // appended.log: each append is a version; now and then truncated to nothing.
  if (step % 7 === 0) {
    appended = Buffer.alloc(0);
    record('appended.log', appended);
    fs.truncateSync(path.join(dir, 'appended.log'), 0);
  } else {
    const more = bytes(4096 + Math.floor(random() * 60000));
    appended = Buffer.concat([appended, more]);
    record('appended.log', appended);
    fs.appendFileSync(path.join(dir, 'appended.log'), more);
  }

  const small = bytes(1000 + Math.floor(random() * 4000));
  record('small.txt', Buffer.alloc(0));
  record('small.txt', small);
  fs.writeFileSync(path.join(dir, 'small.txt'), small);
}

function loop() {
  if (stop) {
    fs.closeSync(log);
    return;
  }
  changeOnce();
  setTimeout(loop, Math.floor(random() * 20));
}
loop();
