/**
 * The soak test's stack, in a process of its own so that the function
 * host's memory is measured alone: `fork()`ed with `--expose-gc`, it starts
 * the local stack (Pushpin, zurl, the function host running the functions
 * of serverless.yml), then answers the parent over IPC:
 *
 *   { type: 'memory' }  -> { type: 'memory', memory }  (after a full GC)
 *   { type: 'stats' }   -> { type: 'stats', stats }    (invocations by function and status)
 *   { type: 'stop' }    -> stops the stack and exits
 *
 * It stops the stack too when the parent goes away.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InvocationLog } from '../../src/local/function-host.js';
import { startStack } from '../../src/local/stack.js';

export interface HostMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface HostStats {
  /** `function status` -> count */
  readonly invocations: Record<string, number>;
  readonly slowest: { readonly functionName: string; readonly durationMs: number } | undefined;
  /** Invocation durations, ms. */
  readonly durations: { readonly p50: number; readonly p99: number; readonly count: number };
  /** Lines the functions wrote to stderr (errors, warnings), first few. */
  readonly errors: readonly string[];
  readonly errorCount: number;
}

export type HostRequest = { readonly type: 'memory' } | { readonly type: 'stats' } | { readonly type: 'stop' };
export type HostMessage =
  | { readonly type: 'ready'; readonly wsUrl: string; readonly httpUrl: string; readonly logDir: string; readonly pid: number }
  | { readonly type: 'memory'; readonly memory: HostMemory }
  | { readonly type: 'stats'; readonly stats: HostStats }
  | { readonly type: 'failed'; readonly error: string };

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const send = (message: HostMessage) => process.send?.(message);

const invocations: Record<string, number> = {};
let slowest: { functionName: string; durationMs: number } | undefined;
const durations: number[] = [];
const errors: string[] = [];
let errorCount = 0;

// The functions log through console.error / console.warn: keep the first few, count the rest.
for (const method of ['error', 'warn'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    errorCount++;
    if (errors.length < 20) errors.push(args.map(String).join(' ').slice(0, 500));
    if (process.env.SOAK_HOST_VERBOSE === '1') original(...args);
  };
}

function percentiles(values: readonly number[]): HostStats['durations'] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;
  return { p50: at(50), p99: at(99), count: sorted.length };
}

function memory(): HostMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

// For investigation: Pushpin's log level (3 = debug: why the proxy closed a connection, dropped a
// message...), through a `pushpin` shim first on PATH, since the stack's config fixes level 2.
const pushpinLogLevel = process.env.SOAK_PUSHPIN_LOG_LEVEL;
let shimDir: string | undefined;
if (pushpinLogLevel !== undefined && pushpinLogLevel !== '') {
  const real = execFileSync('sh', ['-c', 'command -v pushpin'], { encoding: 'utf8' }).trim();
  shimDir = await mkdtemp(join(tmpdir(), 'soak-shim-'));
  await writeFile(join(shimDir, 'pushpin'), `#!/bin/sh\nexec ${real} "$@" --loglevel=${Number(pushpinLogLevel)}\n`, { mode: 0o755 });
  process.env.PATH = `${shimDir}:${process.env.PATH ?? ''}`;
}

const logDir = process.env.SOAK_LOG_DIR;
const messageRate = process.env.SOAK_MESSAGE_RATE;
const stack = await startStack({
  root,
  ...(logDir ? { logDir } : {}),
  redis: process.env.SOAK_REDIS === '1',
  ...(messageRate ? { messageRate: messageRate === 'none' ? null : Number(messageRate) } : {}),
  onInvocation(log: InvocationLog) {
    const key = `${log.functionName} ${log.status}`;
    invocations[key] = (invocations[key] ?? 0) + 1;
    if (durations.length < 1_000_000) durations.push(log.durationMs);
    if (slowest === undefined || log.durationMs > slowest.durationMs)
      slowest = { functionName: log.functionName, durationMs: log.durationMs };
  },
}).catch((error: unknown) => {
  send({ type: 'failed', error: (error as Error).stack ?? String(error) });
  process.exit(1);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  if (shimDir !== undefined) await rm(shimDir, { recursive: true, force: true });
  process.exit(0);
}

process.on('message', (request: HostRequest) => {
  switch (request.type) {
    case 'memory':
      send({ type: 'memory', memory: memory() });
      break;
    case 'stats':
      send({
        type: 'stats',
        stats: { invocations: { ...invocations }, slowest, durations: percentiles(durations), errors: [...errors], errorCount },
      });
      break;
    case 'stop':
      void stop();
      break;
  }
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

send({ type: 'ready', wsUrl: stack.wsUrl, httpUrl: stack.httpUrl, logDir: logDir ?? '(inside the stack run dir)', pid: process.pid });
