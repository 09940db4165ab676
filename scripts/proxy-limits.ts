/**
 * `npm run limits`: measures what the installed Pushpin carries between a
 * WebSocket-over-HTTP origin and its clients, for each client_buffer_size
 * given, with a bare origin of its own (no toolkit code in the path), and
 * prints the figures README's Limits section quotes.
 *
 *   npm run limits                          # B = 8192, 65536, 262144
 *   npm run limits -- --buffer 8192 --connections 1000
 *
 * For each B: the largest message from the origin that arrives at once
 * (bisected), whether a response whose messages fill B exactly stalls the
 * ones after it, responses just under and over 1,000,000 bytes, the longest
 * request path and head answered, and condure's
 * resident memory with `--connections` WebSocket clients connected.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startPushpin } from '../src/local/pushpin.js';
import { freePort } from '../src/local/stack.js';
import { decodeEvents, encodeEvents } from '../src/protocol/codec.js';
import type { WebSocketEvent } from '../src/protocol/events.js';

const { values } = parseArgs({
  options: { buffer: { type: 'string', multiple: true }, connections: { type: 'string', default: '1000' } },
});
const buffers = (values.buffer ?? ['8192', '65536', '262144']).map(Number);
const connections = Number(values.connections);

/** The origin: a client's TEXT message `[n1, n2, ...]` is answered, in one response, with messages of those sizes. */
async function startOrigin(): Promise<{ port: number; close(): void }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const out: WebSocketEvent[] = [];
      for (const event of decodeEvents(Buffer.concat(chunks))) {
        if (event.type === 'OPEN') out.push({ type: 'OPEN' });
        if (event.type === 'TEXT') {
          const sizes = JSON.parse(Buffer.from(event.content ?? []).toString('utf8')) as number[];
          for (const [i, n] of sizes.entries()) out.push({ type: 'TEXT', content: Buffer.from(`m:${String(i % 10).repeat(n)}`) });
        }
        if (event.type === 'CLOSE') out.push(event);
      }
      res.writeHead(200, { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' });
      res.end(encodeEvents(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** How many of the messages of one response arrive within `ms`. */
async function delivered(url: string, sizes: number[], ms = 1_500): Promise<number> {
  const ws = await open(url);
  let count = 0;
  ws.on('message', () => count++);
  ws.send(JSON.stringify(sizes));
  const deadline = Date.now() + ms;
  while (count < sizes.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  ws.terminate();
  return count;
}

/** The largest n in [low, high] for which `ok(n)` holds, `ok` being monotone. */
async function bisect(low: number, high: number, ok: (n: number) => Promise<boolean>): Promise<number> {
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await ok(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** Whether a request with this path and extra header is answered (by anyone) at all. */
async function answered(port: number, path: string, header = ''): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: header === '' ? {} : { 'X-Pad': header },
      signal: AbortSignal.timeout(3_000),
    });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** condure's resident memory, in MiB: the condure process among Pushpin's children. */
async function condureRssMiB(): Promise<number> {
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      if (!cmdline[0]?.endsWith('condure') || !cmdline.some((arg) => arg.includes(runDirNow))) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

let runDirNow = '';
console.log(`Pushpin: ${execFileSync('pushpin', ['--version'], { encoding: 'utf8' }).trim()}`);
const origin = await startOrigin();
for (const buffer of buffers) {
  const runDir = await mkdtemp(join(tmpdir(), 'grip-limits-'));
  runDirNow = runDir;
  const httpPort = await freePort();
  const proxy = await startPushpin({
    runDir,
    logDir: join(runDir, 'log'),
    httpPort,
    controlPort: await freePort(),
    originPort: origin.port,
    sigKey: 'limits',
    clientBufferSize: buffer,
  });
  const url = `ws://127.0.0.1:${httpPort}/limits`;
  try {
    const largest = await bisect(1, 1_000_000, async (n) => (await delivered(url, [n])) === 1);
    const w = Math.max(buffer, 16_384) + 16_384;
    console.log(`B=${buffer}: largest message at once ${largest} bytes (W - 2 = ${w - 2})`);
    const exact = await delivered(url, [buffer, 10]);
    const under = await delivered(url, [buffer - 1, 10]);
    const halves = await delivered(url, [buffer / 2, buffer / 2, 10]);
    console.log(`B=${buffer}: one response [B, 10]: ${exact} of 2 arrive; [B - 1, 10]: ${under} of 2; [B/2, B/2, 10]: ${halves} of 3`);
    const sixty = await delivered(
      url,
      Array.from({ length: 60 }, () => 16_000),
    );
    const sixtyThree = await delivered(
      url,
      Array.from({ length: 63 }, () => 16_000),
    );
    console.log(
      `B=${buffer}: one response of 60 × 16,000 bytes: ${sixty} of 60 arrive; of 63 × 16,000 (over 1,000,000): ${sixtyThree} of 63`,
    );
    const path = await bisect(1, 20_000, (n) => answered(httpPort, `/${'p'.repeat(n)}`));
    const head = await bisect(1, 600_000, (n) => answered(httpPort, '/h', 'x'.repeat(n)));
    console.log(`B=${buffer}: longest path answered ${path + 1} characters; longest header value answered ${head} bytes`);
    if (connections > 0) {
      const sockets: WebSocket[] = [];
      for (let i = 0; i < connections; i += 50)
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, connections - i) }, () => open(url)))));
      // Traffic on every connection, so that condure has used its buffers.
      let answered = 0;
      for (const ws of sockets) {
        ws.once('message', () => answered++);
        ws.send(JSON.stringify([1000]));
      }
      const deadline = Date.now() + 10_000;
      while (answered < sockets.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      console.log(
        `B=${buffer}: condure resident memory with ${connections} connections (${answered} with traffic): ${(await condureRssMiB()).toFixed(0)} MiB`,
      );
      for (const ws of sockets) ws.terminate();
    }
  } finally {
    await proxy.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}
origin.close();
