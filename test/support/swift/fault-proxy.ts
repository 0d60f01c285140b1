// A fault-injecting HTTP proxy for object-storage tests: sits between an
// S3 client and Swift on its own 127.0.0.1 port, forwards every request
// unchanged (Host included, so signatures hold) and, where a rule matches,
// answers 500/503 itself, drops the connection part-way through a request
// or response body, stalls, or truncates a response. Rules can change at
// any time; every request is recorded with what was done to it.
//
//   const proxy = await startFaultProxy({ target: swift.endpoint, seed: 7 });
//   const s3 = swift.s3({ endpoint: proxy.endpoint });
//   proxy.addRule({ method: 'GET', path: /\/key$/, times: 1, action: { kind: 'status', status: 503, retryAfter: 1 } });
import { Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage, request as httpRequest, Server, ServerResponse, createServer } from 'node:http';
import { Socket } from 'node:net';

export type FaultAction =
  /** Answer this status with an S3 XML error body; Swift never sees the request unless `forward` (then Swift's answer is replaced). */
  | { kind: 'status'; status: number; retryAfter?: number | string; code?: string; message?: string; forward?: boolean }
  /**
   * Forward this many bytes of the request body to Swift (default 0: none,
   * not even the headers), then reset both connections. A body shorter than
   * that reaches Swift whole, which may store it: the client's connection
   * is reset before the answer either way.
   */
  | { kind: 'drop-request'; afterBytes?: number }
  /** Forward Swift's status, headers and this many body bytes, then reset the client's connection. */
  | { kind: 'drop-response'; afterBytes?: number }
  /**
   * Forward this many body bytes, then end cleanly. `declare: 'original'`
   * (default) keeps Swift's Content-Length, so the client sees the
   * connection close early; 'truncated' rewrites it, so the short body
   * looks complete and only a length or checksum check can tell.
   */
  | { kind: 'truncate-response'; afterBytes: number; declare?: 'original' | 'truncated' }
  /**
   * Hold the request before forwarding it (`at: 'request'`, default) or
   * Swift's response after `afterBytes` of its body, for `ms` (then carry
   * on) or, without `ms`, until the client goes away, release() or close().
   */
  | { kind: 'stall'; ms?: number; at?: 'request' | 'response-body'; afterBytes?: number };

type StatusFault = Extract<FaultAction, { kind: 'status' }>;

export interface FaultRule {
  /** Shown in records; defaults to `rule N`. */
  name?: string;
  /** One method or several; any when absent. */
  method?: string | readonly string[];
  /**
   * A string is the exact path (no query); a RegExp matches the path alone
   * or the path with its query (the SDK adds `?x-id=GetObject` and the like,
   * so /\/key$/ must match on the path).
   */
  path?: string | RegExp;
  /** Only requests whose Range header matches (e.g. /^bytes=1048576-/: the read of one piece of an object). */
  range?: RegExp;
  /** Only the nth matching request(s), counting from 1 for this rule. */
  nth?: number | readonly number[];
  /** Each matching request faults with this probability, drawn from the proxy's seeded generator. */
  probability?: number;
  /** At most this many faults from this rule. */
  times?: number;
  action: FaultAction;
}

export interface RuleHandle {
  readonly name: string;
  /** Requests that matched method, path and nth (whether or not they faulted). */
  readonly matched: number;
  /** Requests this rule faulted. */
  readonly applied: number;
  remove(): void;
}

export type Outcome =
  | 'in-flight'
  | 'forwarded' // Swift's answer, whole
  | 'answered' // the proxy's own status
  | 'dropped' // connection reset on purpose
  | 'truncated'
  | 'client-closed' // the client gave up first (e.g. its timeout during a stall)
  | 'upstream-error'; // Swift could not be reached: 502

export interface ProxyRecord {
  seq: number;
  method: string;
  url: string;
  /** The request's Range header (a resumed read names the byte it resumes at). */
  range?: string;
  /** The request's If-Match header (a resumed read asks for the same object). */
  ifMatch?: string;
  /** The rule that faulted this request, if any, and its action. */
  rule?: string;
  fault?: FaultAction['kind'];
  /** Status sent to the client (absent when none was). */
  status?: number;
  requestBytes: number;
  responseBytes: number;
  outcome: Outcome;
  /** When it arrived, in ms since the proxy started. */
  at: number;
  /** How long it took, once no longer in flight. */
  ms: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  addRule(rule: FaultRule): RuleHandle;
  /** Replaces every rule. */
  setRules(rules: readonly FaultRule[]): RuleHandle[];
  clearRules(): void;
  /** Every request so far, in arrival order. */
  readonly records: readonly ProxyRecord[];
  /** The records of faulted requests. */
  faults(): ProxyRecord[];
  /** Requests held by a stall right now. */
  readonly stalled: number;
  /** Lets every stalled request carry on. */
  release(): void;
  /** Resolves when `count` requests are stalled (for tests that act during a stall). */
  waitForStalled(count?: number, timeoutMs?: number): Promise<void>;
  /** Closes the listener and every connection, stalled ones too. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Where requests go, e.g. swift.endpoint. */
  target: string;
  /** Seed of the generator behind `probability` (default 1). */
  seed?: number;
}

// Hop-by-hop headers are the proxy's own business on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** mulberry32: small, seeded, good enough to pick requests reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_CODES: Record<number, string> = { 500: 'InternalError', 503: 'ServiceUnavailable' };

function errorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
}

interface ActiveRule {
  rule: FaultRule;
  name: string;
  matched: number;
  applied: number;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const upstreamPort = Number(target.port || 80);
  const random = seededRandom(options.seed ?? 1);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const records: ProxyRecord[] = [];
  const stallWaiters = new Set<() => void>();
  let rules: ActiveRule[] = [];
  let ruleCounter = 0;
  let closed = false;
  const proxyStarted = Date.now();

  function choose(req: IncomingMessage): ActiveRule | undefined {
    const path = (req.url ?? '/').split('?')[0];
    for (const active of rules) {
      const { rule } = active;
      if (rule.method !== undefined) {
        const methods = typeof rule.method === 'string' ? [rule.method] : rule.method;
        if (!methods.some((m) => m.toUpperCase() === req.method)) continue;
      }
      if (typeof rule.path === 'string' && rule.path !== path) continue;
      if (rule.path instanceof RegExp && !rule.path.test(path) && !rule.path.test(req.url ?? '/')) continue;
      if (rule.range !== undefined && !rule.range.test(req.headers.range ?? '')) continue;
      const n = ++active.matched;
      if (rule.nth !== undefined) {
        const wanted = typeof rule.nth === 'number' ? [rule.nth] : rule.nth;
        if (!wanted.includes(n)) continue;
      }
      if (rule.times !== undefined && active.applied >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      active.applied++;
      return active;
    }
    return undefined;
  }

  /** Waits ms (or forever) unless released, closed or the client leaves. */
  function stall(ms: number | undefined, client: IncomingMessage): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (carryOn: boolean) => {
        if (timer) clearTimeout(timer);
        stallWaiters.delete(release);
        client.socket.off('close', gone);
        proxy.stalled--;
        resolve(carryOn);
      };
      const release = () => done(true);
      const gone = () => done(false);
      stallWaiters.add(release);
      client.socket.once('close', gone);
      if (ms !== undefined) timer = setTimeout(release, ms);
      proxy.stalled++;
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const record: ProxyRecord = {
      seq: records.length + 1,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      range: req.headers.range,
      ifMatch: req.headers['if-match'],
      requestBytes: 0,
      responseBytes: 0,
      outcome: 'in-flight',
      at: started - proxyStarted,
      ms: 0,
    };
    records.push(record);
    const active = choose(req);
    const action = active?.rule.action;
    if (active && action) {
      record.rule = active.name;
      record.fault = action.kind;
    }
    let upstream: ClientRequest | undefined;
    let reply: IncomingMessage | undefined;

    const finish = (outcome: Outcome) => {
      if (record.outcome !== 'in-flight') return;
      record.outcome = outcome;
      record.ms = Date.now() - started;
    };
    const reset = () => {
      finish('dropped');
      upstream?.destroy();
      reply?.destroy();
      req.socket.resetAndDestroy();
    };
    res.on('close', () => {
      if (record.outcome !== 'in-flight') return;
      finish(res.writableFinished ? 'forwarded' : 'client-closed');
      upstream?.destroy();
      reply?.destroy();
    });

    const answer = (fault: StatusFault) => {
      const code = fault.code ?? DEFAULT_CODES[fault.status] ?? 'InjectedFault';
      const body = req.method === 'HEAD' ? '' : errorXml(code, fault.message ?? `injected by the fault proxy (${record.rule})`, `fault-${record.seq}`);
      const headers: Record<string, string | number> = { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      record.status = fault.status;
      record.responseBytes = Buffer.byteLength(body);
      res.writeHead(fault.status, headers);
      res.end(body);
      finish('answered');
    };

    const write = (chunk: Buffer): Promise<void> => {
      if (chunk.length === 0) return Promise.resolve();
      record.responseBytes += chunk.length;
      return new Promise((resolve) => {
        if (res.write(chunk)) resolve();
        else res.once('drain', resolve);
      });
    };
    /** Resolves once what was written has left for the client. */
    const flushed = () => new Promise<void>((resolve) => (res.socket ? res.socket.write('', () => resolve()) : resolve()));

    const sendRequestBody = (to: ClientRequest) => {
      const limit = action?.kind === 'drop-request' ? action.afterBytes ?? 0 : undefined;
      if (limit === 0) return reset();
      let cut = false;
      req.on('data', (chunk: Buffer) => {
        if (cut) return;
        if (limit !== undefined && record.requestBytes + chunk.length >= limit) {
          cut = true;
          to.write(chunk.subarray(0, limit - record.requestBytes));
          record.requestBytes = limit;
          req.pause();
          setImmediate(reset); // let the partial body reach Swift first
          return;
        }
        record.requestBytes += chunk.length;
        if (!to.write(chunk)) {
          req.pause();
          to.once('drain', () => req.resume());
        }
      });
      req.on('end', () => {
        if (cut) return;
        // A body shorter than the cut reaches Swift whole (which may store
        // it); the client's connection is reset before the answer.
        if (limit !== undefined) setImmediate(reset);
        else to.end();
      });
    };

    const relayResponse = async (from: IncomingMessage) => {
      reply = from;
      if (record.outcome !== 'in-flight') return from.destroy();
      if (action?.kind === 'status') {
        // forward: Swift did the work; the client hears the injected status.
        from.resume();
        return from.on('end', () => answer(action));
      }
      const headers = endToEnd(from.headers);
      let cutAt: number | undefined;
      let stallAt: number | undefined;
      if (action?.kind === 'drop-response') cutAt = action.afterBytes ?? 0;
      if (action?.kind === 'truncate-response') {
        cutAt = action.afterBytes;
        if (action.declare === 'truncated') {
          cutAt = Math.min(cutAt, Number(from.headers['content-length'] ?? Infinity));
          headers['content-length'] = String(cutAt);
        }
      }
      if (action?.kind === 'stall' && action.at === 'response-body') stallAt = action.afterBytes ?? 0;
      record.status = from.statusCode;
      res.writeHead(from.statusCode ?? 502, from.statusMessage, headers);
      res.flushHeaders();
      const cut = async () => {
        from.destroy();
        upstream?.destroy();
        if (action?.kind === 'truncate-response') {
          finish('truncated');
          if (action.declare === 'truncated') res.end();
          else res.socket?.end(); // FIN, with Content-Length still promising more
        } else {
          await flushed();
          reset();
        }
      };
      if (cutAt === 0 && req.method !== 'HEAD') return cut();
      for await (const data of from as AsyncIterable<Buffer>) {
        let chunk = data;
        if (stallAt !== undefined && record.responseBytes + chunk.length >= stallAt) {
          const before = chunk.subarray(0, stallAt - record.responseBytes);
          await write(before);
          chunk = chunk.subarray(before.length);
          stallAt = undefined;
          await flushed();
          if (!(await stall(action?.kind === 'stall' ? action.ms : undefined, req))) return; // the client left
        }
        if (cutAt !== undefined && record.responseBytes + chunk.length >= cutAt) {
          await write(chunk.subarray(0, cutAt - record.responseBytes));
          return cut();
        }
        await write(chunk);
        if (record.outcome !== 'in-flight') return;
      }
      if (record.outcome !== 'in-flight') return;
      if (cutAt !== undefined && req.method !== 'HEAD') return cut(); // shorter than the cut: cut at its end
      res.end();
    };

    if (action?.kind === 'status' && !action.forward) {
      req.on('data', (chunk: Buffer) => (record.requestBytes += chunk.length));
      req.on('end', () => answer(action));
      return;
    }
    void (async () => {
      if (action?.kind === 'stall' && (action.at ?? 'request') === 'request') {
        if (!(await stall(action.ms, req))) return finish('client-closed');
      }
      upstream = httpRequest({ host: target.hostname, port: upstreamPort, method: req.method, path: req.url, headers: endToEnd(req.headers), agent });
      upstream.on('error', () => {
        if (record.outcome !== 'in-flight') return;
        if (res.headersSent) return reset();
        record.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: Swift could not be reached\n');
        finish('upstream-error');
      });
      upstream.on('response', (from) => void relayResponse(from));
      sendRequestBody(upstream);
    })();
  }

  const server: Server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  function makeHandle(active: ActiveRule): RuleHandle {
    return {
      name: active.name,
      get matched() {
        return active.matched;
      },
      get applied() {
        return active.applied;
      },
      remove: () => {
        rules = rules.filter((r) => r !== active);
      },
    };
  }

  const proxy: FaultProxy & { stalled: number } = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stalled: 0,
    records,
    addRule(rule) {
      const active: ActiveRule = { rule, name: rule.name ?? `rule ${++ruleCounter}`, matched: 0, applied: 0 };
      rules.push(active);
      return makeHandle(active);
    },
    setRules(list) {
      rules = [];
      return list.map((rule) => proxy.addRule(rule));
    },
    clearRules() {
      rules = [];
    },
    faults: () => records.filter((r) => r.rule !== undefined),
    release() {
      for (const release of [...stallWaiters]) release();
    },
    async waitForStalled(count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (proxy.stalled < count) {
        if (Date.now() > deadline) throw new Error(`fault proxy: ${proxy.stalled} of ${count} requests stalled after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      rules = [];
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      proxy.release();
      agent.destroy();
      await closing;
    },
  };
  return proxy;
}
