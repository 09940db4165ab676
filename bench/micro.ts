/**
 * In-process work, side by side with @fanoutio/grip 4.3 on the same inputs:
 * decoding WebSocket-over-HTTP bodies, and a whole echo invocation
 * (HTTP API event in, result out) through each library's own echo, each
 * bundled as serverless.yml deploys it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWebSocketEvents } from '@fanoutio/grip';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeEvents, encodeEvents } from '../src/protocol/codec.js';
import { LOCAL_PUSHPIN_SETTINGS } from '../src/local/pushpin-settings.js';
import { maxMessageBytesFor } from '../src/websocket/limits.js';
import { bundle } from './cold-start.js';

export interface MicroRow {
  readonly work: 'decode' | 'invocation';
  readonly input: string;
  readonly oursUs: number;
  readonly gripUs: number;
  /** How many times faster grip-lambda is: gripUs / oursUs. */
  readonly ratio: number;
}

const root = join(import.meta.dirname, '..');

/** Runs `fn` `times` times; awaits only when it returns promises, so sync work is timed without microtask ticks. */
async function run(fn: () => unknown, times: number, async: boolean): Promise<number> {
  const started = performance.now();
  if (async) for (let i = 0; i < times; i++) await fn();
  else for (let i = 0; i < times; i++) fn();
  return performance.now() - started;
}

/** Calls per timed batch so one batch takes ≥ 10 ms: long enough for the clock, and for garbage collection to fall on every batch alike. */
async function calibrate(fn: () => unknown, async: boolean): Promise<number> {
  let batch = 1;
  for (;;) {
    const took = await run(fn, batch, async);
    if (took >= 10 || batch >= 1 << 22) return batch;
    batch *= took < 1 ? 16 : 2;
  }
}

/**
 * Median time of one call of each function, in microseconds. Batches of the
 * two alternate, so both see the same machine (heap, caches, frequency); at
 * least 5 and at most `samples` batches each, within about `budgetMs`.
 */
export async function compareMicros(a: () => unknown, b: () => unknown, budgetMs = 3000, samples = 41): Promise<[number, number]> {
  const asyncA = a() instanceof Promise;
  const asyncB = b() instanceof Promise;
  const batchA = await calibrate(a, asyncA);
  const batchB = await calibrate(b, asyncB);
  const perCallA: number[] = [];
  const perCallB: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (perCallA.length < samples && (perCallA.length < 5 || performance.now() < deadline)) {
    perCallA.push(((await run(a, batchA, asyncA)) * 1000) / batchA);
    perCallB.push(((await run(b, batchB, asyncB)) * 1000) / batchB);
  }
  return [median(perCallA), median(perCallB)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Input {
  readonly label: string;
  readonly body: Uint8Array;
}

export function textBody(count: number, size: number): Uint8Array {
  const content = 'x'.repeat(size);
  return encodeEvents(Array.from({ length: count }, () => ({ type: 'TEXT' as const, content: Buffer.from(content) })));
}

/** The largest single message the local stack's Pushpin carries at once (README, Limits), as the large input. */
const LARGE = maxMessageBytesFor(LOCAL_PUSHPIN_SETTINGS.clientBufferSize);

export function microInputs(): Input[] {
  return [
    ...[1, 10, 100, 1000].map((count) => ({ label: `${count} × 64 B TEXT`, body: textBody(count, 64) })),
    { label: `1 × ${LARGE.toLocaleString('en')} B TEXT`, body: textBody(1, LARGE) },
  ];
}

/** The HTTP API fixture event with `body` as its WebSocket-over-HTTP body. */
export function httpApiEvent(body: Uint8Array): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync(join(root, 'test/events/api-gateway-http.json'), 'utf8')) as APIGatewayProxyEventV2;
  return {
    ...event,
    headers: { ...event.headers, 'content-length': String(body.length) },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

export async function measureMicro(log: (line: string) => void = () => {}): Promise<MicroRow[]> {
  // Both echoes run without a verify key, as grip's has none; ours says so once.
  delete process.env.GRIP_URL;
  delete process.env.GRIP_VERIFY_KEY;
  // As the local stack sets it, so the large message is echoed, not refused.
  process.env.GRIP_MAX_MESSAGE_BYTES = String(LARGE);
  const warn = console.warn;
  console.warn = () => {};
  // The echoes as deployed: bundled (esbuild, minified, the build's plugins), not the sources as
  // tsx runs them, whose added code (names kept for each function it makes) would be timed too.
  const dir = mkdtempSync(join(tmpdir(), 'grip-micro-'));
  const echoes: Record<'ours' | 'grip', string> = { ours: join(dir, 'echo.cjs'), grip: join(dir, 'grip-echo.cjs') };
  await bundle(join(root, 'functions/echo.ts'), echoes.ours);
  await bundle(join(root, 'bench/cold/grip-echo.ts'), echoes.grip);
  type Echo = (event: APIGatewayProxyEventV2) => Promise<unknown>;
  const load = (file: string) => (createRequire(import.meta.url)(file) as { handler: Echo }).handler;
  const ourEcho = load(echoes.ours);
  const gripEcho = load(echoes.grip);
  const rows: MicroRow[] = [];
  try {
    for (const { label, body } of microInputs()) {
      const [oursUs, gripUs] = await compareMicros(
        () => decodeEvents(body),
        () => decodeWebSocketEvents(body),
      );
      rows.push({ work: 'decode', input: label, oursUs, gripUs, ratio: gripUs / oursUs });
      log(`decode      ${label.padEnd(18)} ours ${fmtUs(oursUs)}  grip ${fmtUs(gripUs)}  ${(gripUs / oursUs).toFixed(1)}×`);
    }
    for (const { label, body } of microInputs()) {
      const event = httpApiEvent(body);
      // Each echo must answer with every message (an error answer would be a cheaper, wrong figure).
      for (const [name, echo] of [
        ['grip-lambda', ourEcho],
        ['@fanoutio/grip', gripEcho],
      ] as const) {
        const result = (await echo(event)) as { statusCode?: number; body?: string };
        const echoed = decodeEvents(Buffer.from(result.body ?? '', 'base64')).filter((e) => e.type === 'TEXT').length;
        const sent = decodeEvents(body).length;
        if (result.statusCode !== 200 || echoed !== sent)
          throw new Error(`${name} echo of ${label}: ${result.statusCode}, ${echoed} of ${sent} messages`);
      }
      const [oursUs, gripUs] = await compareMicros(
        () => ourEcho(event),
        () => gripEcho(event),
      );
      rows.push({ work: 'invocation', input: label, oursUs, gripUs, ratio: gripUs / oursUs });
      log(`invocation  ${label.padEnd(18)} ours ${fmtUs(oursUs)}  grip ${fmtUs(gripUs)}  ${(gripUs / oursUs).toFixed(1)}×`);
    }
  } finally {
    console.warn = warn;
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function fmtUs(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`.padStart(10);
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`.padStart(10);
  return `${us.toFixed(us < 10 ? 2 : 1)} µs`.padStart(10);
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--json')) {
  // For npm run bench, which runs this under Node.js 24 too: the rows as one JSON line.
  console.log(JSON.stringify(await measureMicro()));
} else if (process.argv[1] === import.meta.filename) {
  await measureMicro(console.log);
}
