/**
 * End-to-end echo latency through Pushpin: a `ws` client sends a message and
 * waits for the echo, one at a time. grip-lambda's echo behind the function
 * host, against baselines behind the same Pushpin on routes of their own: a
 * bare Node.js WebSocket server (the `ws` package), and raw
 * WebSocket-over-HTTP origins with no library.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { WebSocket, WebSocketServer } from 'ws';
import type { LambdaHttpEvent, LambdaHttpResult } from '../src/lambda/types.js';
import type { InvocationLog } from '../src/local/function-host.js';

export interface LatencyRow {
  readonly name: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly all: number[];
}

/** A plain WebSocket echo server: the baseline origin. */
async function startBareOrigin(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/**
 * The least a WebSocket-over-HTTP origin can do, with no library and no
 * checks: a node:http server that answers each request with the events it
 * got. With `grip`, it also takes on the GRIP extension as grip-lambda does
 * (`Sec-WebSocket-Extensions: grip`, messages prefixed `m:`), which has the
 * proxy keep the connection's GRIP session. Behind Pushpin with `over_http`,
 * the two show what the protocol's extra HTTP hop, and GRIP mode, cost.
 */
async function startRawOverHttpOrigin(grip: boolean): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!grip) {
        res.writeHead(200, { 'Content-Type': 'application/websocket-events' });
        res.end(body);
        return;
      }
      // TYPE[ hexlen]\r\n[content\r\n]: OPEN is answered with OPEN, TEXT with the same text, prefixed.
      const out: string[] = [];
      for (let at = 0; at < body.length; ) {
        const lineEnd = body.indexOf('\r\n', at);
        const [type, hex] = body.subarray(at, lineEnd).toString('latin1').split(' ');
        at = lineEnd + 2;
        if (hex === undefined) {
          if (type === 'OPEN') out.push('OPEN\r\n');
          continue;
        }
        const content = body.subarray(at, at + parseInt(hex, 16)).toString('latin1');
        at += parseInt(hex, 16) + 2;
        if (type === 'TEXT') out.push(`TEXT ${(content.length + 2).toString(16)}\r\nm:${content}\r\n`);
      }
      res.writeHead(200, { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' });
      res.end(out.join(''), 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function connect(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

async function roundTrip(socket: WebSocket, text: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo from ${socket.url} within 5 s`)), 5000);
    socket.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.send(text);
  });
  return performance.now() - started;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * The baselines, each behind the same Pushpin on a path of its own: the
 * routes go ahead of the functions' (`startStack({ extraRoutes })`).
 */
export async function startBaselineOrigins(): Promise<{ readonly extraRoutes: string[]; close(): Promise<void> }> {
  const bare = await startBareOrigin();
  const raw = await startRawOverHttpOrigin(false);
  const rawGrip = await startRawOverHttpOrigin(true);
  return {
    extraRoutes: [
      `*,path_beg=/bare/,replace_beg=/ 127.0.0.1:${bare.port}`,
      `*,path_beg=/raw/,replace_beg=/ 127.0.0.1:${raw.port},over_http`,
      `*,path_beg=/rawgrip/,replace_beg=/ 127.0.0.1:${rawGrip.port},over_http`,
    ],
    async close() {
      await Promise.all([bare.close(), raw.close(), rawGrip.close()]);
    },
  };
}

/**
 * The local function host serving a handler that does no more than the raw
 * GRIP-mode origin (answers OPEN, echoes TEXT with `m:`): against that
 * origin, what the host's own work per request (the API Gateway event, the
 * result read back) costs; against grip-lambda's echo, what the library's does.
 */
export async function startHostOnlyOrigin(
  onInvocation?: (log: InvocationLog) => void,
): Promise<{ readonly extraRoute: string; readonly port: number; close(): Promise<void> }> {
  const { startFunctionHost } = await import('../src/local/function-host.js');
  const headers = { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' };
  const handler = async (event: LambdaHttpEvent): Promise<LambdaHttpResult> => {
    const body = Buffer.from(event.body ?? '', 'base64').toString('latin1');
    if (body.startsWith('OPEN')) return { statusCode: 200, headers, body: 'OPEN\r\n' };
    const text = body.slice(body.indexOf('\r\n') + 2, -2);
    return { statusCode: 200, headers, body: `TEXT ${(text.length + 2).toString(16)}\r\nm:${text}\r\n` };
  };
  const host = await startFunctionHost({
    routes: [
      { kind: 'httpApi', functionName: HOST_ONLY_FUNCTION, method: 'POST', path: '/echo', timeoutSeconds: 6, load: async () => handler },
    ],
    ...(onInvocation !== undefined ? { onInvocation } : {}),
  });
  return { extraRoute: `*,path_beg=/hostonly/,replace_beg=/ 127.0.0.1:${host.port},over_http`, port: host.port, close: () => host.close() };
}

/** The host-only handler's function name, in its invocation logs. */
export const HOST_ONLY_FUNCTION = 'host-only';

/**
 * The handlers' own time per request as the function hosts report it
 * (`InvocationLog.handlerMs`), by function, while `during` runs: what the
 * same code costs between round trips through the proxy, beside what it
 * costs called in a tight loop.
 */
export function handlerTimes(): {
  readonly onInvocation: (log: InvocationLog) => void;
  during<T>(work: () => Promise<T>): Promise<T>;
  p50Us(functionName: string): number;
  /** Forgets what was recorded. */
  clear(): void;
} {
  const times = new Map<string, number[]>();
  let recording = false;
  return {
    onInvocation(log) {
      if (!recording) return;
      let list = times.get(log.functionName);
      if (list === undefined) times.set(log.functionName, (list = []));
      list.push(log.handlerMs);
    },
    async during(work) {
      recording = true;
      try {
        return await work();
      } finally {
        recording = false;
      }
    },
    clear() {
      times.clear();
    },
    p50Us(functionName) {
      const list = (times.get(functionName) ?? []).sort((a, b) => a - b);
      if (list.length === 0) throw new Error(`no invocation of ${functionName} was logged`);
      return quantile(list, 0.5) * 1000;
    },
  };
}

const ORIGINS = [
  ['bare Node.js origin (ws)', '/bare/echo'],
  ['grip-lambda echo', '/echo'],
  ['raw WebSocket-over-HTTP origin', '/raw/echo'],
  ['raw WebSocket-over-HTTP origin, GRIP mode', '/rawgrip/echo'],
] as const;

/** Round trips to each origin in turn (one each, repeated), so all of them see the same moments of the machine. */
export async function measureLatency(
  wsUrl: string,
  samples = 1000,
  warmup = 50,
  extraOrigins: readonly (readonly [name: string, path: string])[] = [],
): Promise<LatencyRow[]> {
  const origins = [...ORIGINS, ...extraOrigins];
  const sockets = await Promise.all(origins.map(([, path]) => connect(wsUrl + path)));
  const times = origins.map((): number[] => []);
  for (let i = 0; i < warmup + samples; i++) {
    for (let k = 0; k < sockets.length; k++) {
      const took = await roundTrip(sockets[k]!, `ping ${i}`);
      if (i >= warmup) times[k]!.push(took);
    }
  }
  for (const socket of sockets) socket.close(1000);
  return origins.map(([name], k) => {
    const all = times[k]!.sort((a, b) => a - b);
    return { name, samples, p50Ms: quantile(all, 0.5), p99Ms: quantile(all, 0.99), all };
  });
}

/**
 * The same TEXT request as Pushpin sends it (signed, one message), POSTed
 * straight to a function host over one kept-alive connection, with no proxy:
 * the p50 of grip-lambda's echo against the host-only handler's shows the
 * library's own share of a round trip, apart from anything the proxy does
 * with either answer.
 */
export async function measureDirect(
  echoPort: number,
  hostOnlyPort: number,
  sigKey: string,
  samples = 3000,
): Promise<{ echoP50Us: number; hostOnlyP50Us: number }> {
  const sig = await new SignJWT({ iss: 'pushpin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(sigKey));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from('TEXT 6\r\nping 1\r\n');
  const headers = {
    'Content-Type': 'application/websocket-events',
    'Connection-Id': 'bench-direct',
    'Sec-WebSocket-Extensions': 'grip',
    'Grip-Sig': sig,
    'Content-Length': String(body.length),
  };
  const post = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`answered ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  const times: [number[], number[]] = [[], []];
  try {
    for (let i = 0; i < 200 + samples; i++) {
      const echo = await post(echoPort);
      const hostOnly = await post(hostOnlyPort);
      if (i < 200) continue; // warm-up
      times[0].push(echo);
      times[1].push(hostOnly);
    }
  } finally {
    agent.destroy();
  }
  const p50Us = (all: number[]) =>
    quantile(
      all.sort((a, b) => a - b),
      0.5,
    ) * 1000;
  return { echoP50Us: p50Us(times[0]), hostOnlyP50Us: p50Us(times[1]) };
}

/**
 * `node --import tsx bench/latency.ts [runs] [samples]`: the latency part of
 * `npm run bench` alone, run after run, for the spread, with one more row:
 * the function host alone (see startHostOnlyOrigin).
 */
if (process.argv[1] === import.meta.filename) {
  const { startStack } = await import('../src/local/stack.js');
  const runs = Number(process.argv[2] ?? 3);
  const samples = Number(process.argv[3] ?? 1000);
  const baselines = await startBaselineOrigins();
  const hostOnly = await startHostOnlyOrigin();
  const stack = await startStack({
    root: new URL('..', import.meta.url).pathname,
    redis: false,
    extraRoutes: [...baselines.extraRoutes, hostOnly.extraRoute],
  });
  try {
    for (let run = 1; run <= runs; run++) {
      const rows = await measureLatency(stack.wsUrl, samples, 50, [
        ['function host, handler doing what the raw GRIP-mode origin does', '/hostonly/echo'],
      ]);
      const [bare, ours, , rawGrip, host] = rows as [LatencyRow, LatencyRow, LatencyRow, LatencyRow, LatencyRow];
      console.log(
        `run ${run}: ${rows.map((r) => `${r.name} p50 ${r.p50Ms.toFixed(3)} ms`).join('; ')}; grip-lambda ${(ours.p50Ms / rawGrip.p50Ms).toFixed(3)}× raw GRIP mode (host alone ${(host.p50Ms / rawGrip.p50Ms).toFixed(3)}×), ${(ours.p50Ms / bare.p50Ms).toFixed(2)}× bare`,
      );
      const direct = await measureDirect(Number(new URL(stack.originUrl).port), hostOnly.port, stack.sigKey);
      console.log(
        `run ${run}, straight to the function host (no proxy): grip-lambda echo p50 ${direct.echoP50Us.toFixed(0)} µs, host-only handler ${direct.hostOnlyP50Us.toFixed(0)} µs: the library's share ${(direct.echoP50Us - direct.hostOnlyP50Us).toFixed(0)} µs; through Pushpin the two differ by ${((ours.p50Ms - host.p50Ms) * 1000).toFixed(0)} µs`,
      );
    }
  } finally {
    await stack.stop();
    await hostOnly.close();
    await baselines.close();
  }
  process.exit(0);
}
