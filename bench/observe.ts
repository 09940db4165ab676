/**
 * What observing costs. Hot path: the whole 1-event echo invocation (HTTP
 * API event in, result out) with the invocation's JSON log line and EMF
 * metrics on, as in Lambda by default, against the same handler with both
 * off; the line really written (to /dev/null, one write per line as to
 * Lambda's stdout). Load: the module load of an EMF writer bundled alone,
 * Powertools Metrics against the toolkit's own, next to an empty handler.
 *
 *   node --import tsx bench/observe.ts
 */
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { websocket } from '../src/websocket/handler.js';
import { encodeEvents } from '../src/protocol/codec.js';
import { webSocketRequest } from '../src/testing/events.js';
import { lambdaContext } from '../src/local/lambda-context.js';
import { bundle, measure } from './cold-start.js';
import { compareMicros } from './micro.js';

export interface ObserveHotPath {
  readonly offUs: number;
  readonly onUs: number;
  /** (on - off) / off, percent. */
  readonly addedPercent: number;
  /** On, with the line made but its write discarded (what the write itself costs, by difference), and its own off. */
  readonly unwrittenOnUs: number;
  readonly unwrittenOffUs: number;
  /** The bytes of the line each invocation writes with both on. */
  readonly lineBytes: number;
}

export interface EmfLoadRow {
  readonly name: string;
  readonly bytes: number;
  readonly loadMedianMs: number;
}

const root = join(import.meta.dirname, '..');

/** The echo of functions/echo.ts, made with `options`. */
function echo(options: Parameters<typeof websocket>[1]) {
  return websocket(
    {
      onMessage(ctx, message) {
        ctx.send(message.data);
      },
    },
    options,
  );
}

export async function measureObserveHotPath(): Promise<ObserveHotPath> {
  const env = { GRIP_URL: 'http://127.0.0.1:9' };
  // Off: no line, no metrics, no span. On: Lambda's defaults (a JSON line per invocation carrying its EMF metrics).
  const off = echo({ env, logLevel: 'SILENT', metrics: false, tracing: false });
  const on = echo({ env: { ...env, AWS_LAMBDA_FUNCTION_NAME: 'bench-echo' }, tracing: false });
  const body = encodeEvents([{ type: 'TEXT', content: Buffer.from('x'.repeat(64)) }]);
  const event = { ...webSocketRequest({ connectionId: 'bench-conn' }), body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
  const context = lambdaContext('bench-echo', Date.now() + 3_600_000);
  const devNull = openSync('/dev/null', 'w');
  const write = process.stdout.write;
  let lineBytes = 0;
  let discard = false;
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    lineBytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (discard) return true;
    if (typeof chunk === 'string') writeSync(devNull, chunk);
    else writeSync(devNull, chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    for (const handler of [off, on]) {
      const result = await handler(event, context);
      if (result.statusCode !== 200) throw new Error(`echo answered ${result.statusCode}`);
    }
    const [offUs, onUs] = await compareMicros(
      () => off(event, context),
      () => on(event, context),
    );
    discard = true;
    const [unwrittenOffUs, unwrittenOnUs] = await compareMicros(
      () => off(event, context),
      () => on(event, context),
    );
    return { offUs, onUs, addedPercent: ((onUs - offUs) / offUs) * 100, lineBytes, unwrittenOnUs, unwrittenOffUs };
  } finally {
    process.stdout.write = write;
    closeSync(devNull);
  }
}

/** Load time of each EMF writer bundled alone (esbuild, as serverless.yml bundles), fresh process per sample. */
export async function measureEmfLoad(samples = 21): Promise<EmfLoadRow[]> {
  const entries: [string, string][] = [
    ['empty handler (the floor)', 'bench/cold/empty.ts'],
    ["EMF: the toolkit's writer", 'bench/cold/emf-own.ts'],
    ['EMF: Powertools Metrics', 'bench/cold/emf-powertools.ts'],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'grip-emf-'));
  const files: string[] = [];
  for (const [name, entry] of entries) {
    const outfile = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.cjs`);
    await bundle(join(root, entry), outfile);
    files.push(outfile);
  }
  const times = measure(
    files,
    files.map(() => false),
    {},
    samples,
    dir,
  );
  const { statSync } = await import('node:fs');
  return entries.map(([name], k) => {
    const loads = times[k]!.map((s) => s.loadMs).sort((a, b) => a - b);
    return { name, bytes: statSync(files[k]!).size, loadMedianMs: loads[Math.floor(loads.length / 2)]! };
  });
}

export function hotPathLine(row: ObserveHotPath): string {
  const unwritten = ((row.unwrittenOnUs - row.unwrittenOffUs) / row.unwrittenOffUs) * 100;
  return (
    `whole 1-event invocation: logs+metrics off ${row.offUs.toFixed(2)} µs, on ${row.onUs.toFixed(2)} µs (+${row.addedPercent.toFixed(1)}%, ` +
    `a ${row.lineBytes}-byte line written to /dev/null); line made but not written: off ${row.unwrittenOffUs.toFixed(2)} µs, on ${row.unwrittenOnUs.toFixed(2)} µs (+${unwritten.toFixed(1)}%)`
  );
}

if (process.argv[1] === import.meta.filename) {
  console.log(hotPathLine(await measureObserveHotPath()));
  for (const row of await measureEmfLoad()) {
    console.log(`${row.name.padEnd(30)} ${(row.bytes / 1024).toFixed(1).padStart(7)} KB  load ${row.loadMedianMs.toFixed(2)} ms`);
  }
}

/** The target row: logs and metrics add at most 10% to the whole 1-event invocation. */
export function observeTarget(row: ObserveHotPath): { what: string; goal: string; measured: string; met: boolean; why?: string } {
  const met = row.addedPercent <= 10;
  const unwritten = ((row.unwrittenOnUs - row.unwrittenOffUs) / row.unwrittenOffUs) * 100;
  return {
    what: 'logs and metrics on (Lambda default), whole 1-event invocation',
    goal: '≤ 10% added',
    measured: `+${row.addedPercent.toFixed(0)}% (${row.onUs.toFixed(2)} µs against ${row.offUs.toFixed(2)} µs)`,
    met,
    ...(met
      ? {}
      : {
          why: `the invocation writes one ${row.lineBytes}-byte JSON line (its log fields and EMF metrics together); made but not written it adds ${unwritten.toFixed(0)}% (${(row.unwrittenOnUs - row.unwrittenOffUs).toFixed(2)} µs), the rest is the write itself, one system call per invocation as Lambda's stdout takes it. The whole in-process invocation is a few µs, so a line of any size is a large share of it; in Lambda each invocation also pays the runtime's own round trip to the Runtime API, which is far larger`,
        }),
  };
}

/** BENCHMARKS.md's section. */
export function observeReport(row: ObserveHotPath, load: readonly EmfLoadRow[]): string[] {
  return [
    '## Logs and metrics',
    '',
    "The echo of `functions/echo.ts`, one 64 B TEXT message, called in a loop as in the in-process table: with Lambda's defaults (one JSON line per invocation carrying its EMF metrics, written to /dev/null with one write, as to Lambda's stdout) and with logs and metrics off; then the same with the line made but not written. Below, each EMF writer bundled alone and loaded in a fresh process (as the cold-start table measures).",
    '',
    '| Invocation | Off | On | Added |',
    '|---|---:|---:|---:|',
    `| line written (${row.lineBytes} B) | ${row.offUs.toFixed(2)} µs | ${row.onUs.toFixed(2)} µs | +${row.addedPercent.toFixed(0)}% |`,
    `| line made, not written | ${row.unwrittenOffUs.toFixed(2)} µs | ${row.unwrittenOnUs.toFixed(2)} µs | +${(((row.unwrittenOnUs - row.unwrittenOffUs) / row.unwrittenOffUs) * 100).toFixed(0)}% |`,
    '',
    '| EMF writer alone | Bundle | Load (median) |',
    '|---|---:|---:|',
    ...load.map((r) => `| ${r.name} | ${(r.bytes / 1024).toFixed(1)} KB | ${r.loadMedianMs.toFixed(2)} ms |`),
    '',
  ];
}
