// The code a zstd worker thread runs: plain JavaScript, evaluated in the
// worker, so it runs the same from dist/ and under ts-jest. Neither zstd
// library has an asynchronous API, so compression happens here, off the
// main thread. It loads zstd-napi (native, built from the sources it
// ships) and falls back to @bokuweb/zstd-wasm where the native build is
// missing or fails to load, so a store stays readable everywhere.
//
// Requests: { id, op: 'compress', data, level }
//             -> { id, kind: 0 } (it does not shrink) or { id, kind: 1, payload }
//           { id, op: 'decompress', data, rawLength } -> { id, raw } or { id, damage }
// A failure that is not damage in the input answers { id, error }.
// `data` arrives as a transferred buffer the worker owns; answers transfer theirs.
export const ZSTD_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');

function nativeCodec() {
  const zstd = require(workerData.native);
  const cctx = new zstd.CCtx();
  const dctx = new zstd.DCtx();
  return {
    name: 'native',
    compress(src, level) {
      const dst = new Uint8Array(zstd.compressBound(src.length));
      return dst.subarray(0, cctx.compress(dst, src, level));
    },
    // Writes at most dst.length bytes: a frame that holds more is an error.
    decompress(dst, src) {
      return dctx.decompress(dst, src);
    },
  };
}

async function wasmCodec() {
  const wasm = require(workerData.wasm);
  await wasm.init();
  const M = require(workerData.wasmModule).Module;
  // Copies src into the wasm heap, runs f(dst, capacity, src, srcLength)
  // and copies out the bytes it wrote.
  const call = (f, src, capacity, what) => {
    const s = M._malloc(Math.max(1, src.length));
    const d = M._malloc(Math.max(1, capacity));
    try {
      M.HEAPU8.set(src, s);
      const r = f(d, capacity, s, src.length);
      if (M._ZSTD_isError(r)) throw new Error(what + ' failed (zstd error ' + (-r >>> 0) + ')');
      return M.HEAPU8.slice(d, d + (r >>> 0));
    } finally {
      M._free(s);
      M._free(d);
    }
  };
  return {
    name: 'wasm',
    compress(src, level) {
      const bound = M._ZSTD_compressBound(src.length);
      return call((d, cap, s, n) => M._ZSTD_compress(d, cap, s, n, level), src, bound, 'compression');
    },
    decompress(dst, src) {
      const out = call((d, cap, s, n) => M._ZSTD_decompress(d, cap, s, n), src, dst.length, 'decompression');
      dst.set(out);
      return out.length;
    },
  };
}

async function loadCodec() {
  if (workerData.native && workerData.backend !== 'wasm') {
    try {
      return nativeCodec();
    } catch (err) {
      if (workerData.backend === 'native') throw err;
    }
  }
  return wasmCodec();
}
const codec = loadCodec();
codec.catch(() => undefined);

function compress(zstd, { id, data, level }) {
  const packed = zstd.compress(data, level);
  if (packed.length >= data.length) return { id, kind: 0 };
  const payload = packed.slice();
  return { id, kind: 1, payload, transfer: [payload.buffer] };
}

function decompress(zstd, { id, data, rawLength }) {
  const raw = new Uint8Array(rawLength);
  let written;
  try {
    written = zstd.decompress(raw, data);
  } catch (err) {
    return { id, damage: 'zstd: ' + (err && err.message || String(err)) };
  }
  if (written !== rawLength) return { id, damage: 'zstd payload holds ' + written + ' bytes, not ' + rawLength };
  return { id, raw, transfer: [raw.buffer] };
}

parentPort.on('message', async (request) => {
  let answer;
  try {
    const zstd = await codec;
    answer = request.op === 'compress' ? compress(zstd, request) : decompress(zstd, request);
  } catch (err) {
    answer = { id: request.id, error: String(err && err.stack || err) };
  }
  const { transfer, ...message } = answer;
  parentPort.postMessage(message, transfer || []);
});
codec.then((zstd) => parentPort.postMessage({ backend: zstd.name }), (err) => parentPort.postMessage({ backend: 'none', error: String(err && err.message || err) }));
`;
