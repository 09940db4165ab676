/**
 * End-to-end echo latency through Pushpin: a `ws` client sends a message and
 * waits for the echo, one at a time. grip-lambda's echo behind the function
 * host, against a bare Node.js WebSocket server (the `ws` package) behind
 * the same Pushpin, on its own route.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface LatencyRow {
  readonly name: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly all: number[];
}

/** A plain WebSocket echo server: the baseline origin. */
export async function startBareOrigin(): Promise<{ port: number; close(): Promise<void> }> {
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

async function roundTrips(url: string, samples: number, warmup: number): Promise<number[]> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const times: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo from ${url} within 5 s`)), 5000);
      socket.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.send(`ping ${i}`);
    });
    if (i >= warmup) times.push(performance.now() - started);
  }
  socket.close(1000);
  return times.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function measureLatency(wsUrl: string, samples = 1000, warmup = 50): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  for (const [name, path] of [
    ['bare Node.js origin (ws)', '/bare/echo'],
    ['grip-lambda echo', '/echo'],
  ] as const) {
    const all = await roundTrips(wsUrl + path, samples, warmup);
    rows.push({ name, samples, p50Ms: quantile(all, 0.5), p99Ms: quantile(all, 0.99), all });
  }
  return rows;
}
