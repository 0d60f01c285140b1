'use strict';
// Requests a step made to Swift, from its proxy's access log: the lines a
// step appended, client-facing ones only (the inner proxy-logging also logs
// the subrequests s3api, slo and others make, with their source set).
const fs = require('node:fs');
const { kindOf } = require('./s3-usage');

class ProxyLog {
  constructor(path) {
    this.path = path;
  }

  /** Where the log ends now. */
  mark() {
    try {
      return fs.statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /**
   * The client-facing requests logged since `mark`: counts (put, get,
   * other), bytes in and out, summed seconds, and per method and kind of
   * object (kindOf of the path) a count and summed seconds, in `byKind`.
   */
  since(mark) {
    const counts = { put: 0, get: 0, other: 0, bytesIn: 0, bytesOut: 0, putSeconds: 0, getSeconds: 0, byKind: new Map() };
    const end = this.mark();
    if (end <= mark) return counts;
    const buffer = Buffer.alloc(end - mark);
    const fd = fs.openSync(this.path, 'r');
    fs.readSync(fd, buffer, 0, buffer.length, mark);
    fs.closeSync(fd);
    for (const line of buffer.toString('utf8').split('\n')) {
      const at = line.indexOf('proxy-server: ');
      if (at < 0) continue;
      // client remote date method path protocol status referer agent token in out etag txid headers seconds source ...
      const f = line.slice(at + 14).split(' ');
      if (f.length < 17 || f[16] !== '-') continue;
      const method = f[3];
      const seconds = Number(f[15]) || 0;
      if (method === 'PUT' || method === 'POST') {
        counts.put += 1;
        counts.putSeconds += seconds;
      } else if (method === 'GET') {
        counts.get += 1;
        counts.getSeconds += seconds;
      } else counts.other += 1;
      // /BUCKET/KEY (S3) or /v1/ACCOUNT/CONTAINER/KEY (Swift): the key's kind, or (bucket) for listings and the like.
      const [, ...key] = decodeURIComponent(f[4]).split('?')[0].replace(/^\/v1\/[^/]+\//, '').replace(/^\//, '').split('/');
      const object = key.join('/');
      const what = `${method} ${object ? kindOf(object) : '(bucket)'}`;
      const kind = counts.byKind.get(what) ?? { count: 0, seconds: 0, max: 0 };
      kind.count += 1;
      kind.seconds += seconds;
      kind.max = Math.max(kind.max, seconds);
      counts.byKind.set(what, kind);
      counts.bytesIn += Number(f[10]) || 0;
      counts.bytesOut += Number(f[11]) || 0;
    }
    return counts;
  }
}

module.exports = { ProxyLog };
