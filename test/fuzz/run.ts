/**
 * The fuzz run: fast-check generates cases from a seed, each case's event is
 * sent to every function (in the container of its variant), and every
 * outcome is checked. On the first violation fast-check shrinks the case to
 * a minimal one, which is run once more to report exactly what it breaks.
 */
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkOutcome, type Violation } from './check.js';
import { fuzzCase, type FuzzCase } from './model.js';
import { Containers } from './pool.js';
import { makeTokens, renderHttpEvent, renderRelayEvent, type Tokens } from './render.js';

/** The seed `npm run fuzz` and the unit test use unless told otherwise. */
export const DEFAULT_SEED = 20241122;

export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  /** Per handler call. */
  readonly handlerTimeoutMs?: number;
  /** Called about ten times over the run. */
  readonly onProgress?: (done: number, runs: number, elapsedMs: number) => void;
}

export interface FuzzFailure {
  readonly case: FuzzCase;
  /** The Lambda event every function was given. */
  readonly event: unknown;
  readonly violations: readonly Violation[];
  readonly logs: readonly string[];
  /** The answer of each violating function. */
  readonly outcomes: Readonly<Record<string, unknown>>;
  readonly shrinks: number;
  readonly foundAtRun: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly runs: number;
  /** Cases run before the first violation (all of them when there is none). */
  readonly executed: number;
  readonly calls: number;
  readonly durationMs: number;
  readonly functions: readonly string[];
  /** Per function: how many answers of each status (or 'threw', 'timeout', ...). */
  readonly totals: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Per function: how many rejections of each reason. */
  readonly reasons: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly byVariant: Readonly<Record<string, number>>;
  /** Known, documented limitations met (not violations). */
  readonly known: Readonly<Record<string, number>>;
  /** Control requests the functions made to the fake proxy, and the items in them. */
  readonly publishes: { readonly requests: number; readonly items: number; readonly malformed: number };
  readonly workerRestarts: number;
  readonly failure?: FuzzFailure;
}

/** A stand-in for the proxy's control API: accepts every publish, counts what it gets. */
async function startControl(): Promise<{ url: string; server: Server; stats: { requests: number; items: number; malformed: number } }> {
  const stats = { requests: 0, items: 0, malformed: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      stats.requests++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: unknown };
        if (!Array.isArray(body.items)) throw new Error('no items');
        stats.items += body.items.length;
      } catch {
        stats.malformed++;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Published\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, stats };
}

interface Executed {
  readonly event: unknown;
  readonly violations: Violation[];
  readonly labels: [string, string][];
  readonly reasons: [string, string][];
  readonly known: string[];
  readonly logs: readonly string[];
  readonly outcomes: Record<string, unknown>;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const handlerTimeoutMs = options.handlerTimeoutMs ?? 10_000;
  const control = await startControl();
  const containers = new Containers(control.url, handlerTimeoutMs);
  const started = performance.now();
  try {
    const [tokens] = await Promise.all([makeTokens(), containers.start()]);
    const functions = containers.functions;
    if (functions.length === 0) throw new Error('no functions found in functions/*.ts');

    const execute = async (c: FuzzCase, t: Tokens): Promise<Executed> => {
      let event: unknown;
      let itemIds: readonly string[] | undefined;
      if (c.kind === 'http') {
        event = renderHttpEvent(c, t);
      } else {
        ({ event, itemIds } = renderRelayEvent(c));
      }
      const reply = await containers.run(c.variant, event, c.context, handlerTimeoutMs * 3);
      if ('failure' in reply) {
        const detail =
          reply.failure === 'crashed' ? `the worker died: ${reply.error}` : 'the worker stopped answering: a handler blocks the event loop';
        return {
          event,
          violations: [{ fn: '*', kind: reply.failure === 'crashed' ? 'crash' : 'hang', detail }],
          labels: functions.map((f) => [f.name, reply.failure]),
          reasons: [],
          known: [],
          logs: [],
          outcomes: {},
        };
      }
      const violations: Violation[] = [];
      const labels: [string, string][] = [];
      const reasons: [string, string][] = [];
      const known: string[] = [];
      const outcomes: Record<string, unknown> = {};
      for (const info of functions) {
        const outcome = reply.outcomes[info.name];
        if (outcome === undefined) continue;
        const checked = checkOutcome(info, outcome, itemIds);
        violations.push(...checked.violations);
        labels.push([info.name, checked.label]);
        if (checked.reason !== undefined) reasons.push([info.name, checked.reason]);
        known.push(...checked.known);
        if (checked.violations.length > 0) outcomes[info.name] = outcome;
      }
      return { event, violations, labels, reasons, known, logs: reply.logs, outcomes };
    };

    const totals: Record<string, Record<string, number>> = {};
    const reasons: Record<string, Record<string, number>> = {};
    const byVariant: Record<string, number> = {};
    const known: Record<string, number> = {};
    let executed = 0;
    let calls = 0;
    let failedAt: number | undefined;
    const progressEvery = Math.max(1, Math.floor(options.runs / 10));

    const property = fc.asyncProperty(fuzzCase, async (c) => {
      const result = await execute(c, tokens);
      if (failedAt === undefined) {
        executed++;
        calls += result.labels.length;
        byVariant[c.variant] = (byVariant[c.variant] ?? 0) + 1;
        for (const [fn, label] of result.labels) {
          const row = (totals[fn] ??= {});
          row[label] = (row[label] ?? 0) + 1;
        }
        for (const [fn, reason] of result.reasons) {
          const row = (reasons[fn] ??= {});
          row[reason] = (row[reason] ?? 0) + 1;
        }
        for (const k of result.known) known[k] = (known[k] ?? 0) + 1;
        if (result.violations.length > 0) failedAt = executed;
        if (executed % progressEvery === 0) options.onProgress?.(executed, options.runs, performance.now() - started);
      }
      return result.violations.length === 0;
    });

    const details = await fc.check(property, { seed: options.seed, numRuns: options.runs, endOnFailure: false });
    let failure: FuzzFailure | undefined;
    if (details.failed) {
      if (details.counterexample === null) throw details.errorInstance ?? new Error(String(details.error));
      const [minimal] = details.counterexample;
      const again = await execute(minimal, tokens);
      failure = {
        case: minimal,
        event: again.event,
        violations: again.violations,
        logs: again.logs,
        outcomes: again.outcomes,
        shrinks: details.numShrinks,
        foundAtRun: failedAt ?? details.numRuns,
      };
    }
    return {
      seed: options.seed,
      runs: options.runs,
      executed,
      calls,
      durationMs: performance.now() - started,
      functions: functions.map((f) => `${f.name} (${f.kind})`),
      totals,
      reasons,
      byVariant,
      known,
      publishes: { ...control.stats },
      workerRestarts: containers.restarts,
      ...(failure !== undefined ? { failure } : {}),
    };
  } finally {
    await containers.close();
    control.server.closeAllConnections();
    await new Promise<void>((resolve) => control.server.close(() => resolve()));
  }
}

/** The summary lines a run prints. */
export function formatReport(report: FuzzReport, verbose = false): string {
  const lines: string[] = [];
  const seconds = (report.durationMs / 1000).toFixed(1);
  lines.push(`fuzz: seed ${report.seed}, ${report.executed}/${report.runs} inputs, ${report.calls} handler calls in ${seconds} s`);
  lines.push(`functions: ${report.functions.join(', ')}`);
  lines.push(
    `variants: ${Object.entries(report.byVariant)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}`,
  );
  lines.push('answers by function:');
  for (const [fn, row] of Object.entries(report.totals)) {
    const cells = Object.entries(row)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, n]) => `${label}: ${n}`);
    lines.push(`  ${fn.padEnd(8)} ${cells.join(', ')}`);
  }
  const all: Record<string, number> = {};
  for (const row of Object.values(report.totals)) for (const [label, n] of Object.entries(row)) all[label] = (all[label] ?? 0) + n;
  lines.push(
    `  ${'all'.padEnd(8)} ${Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([l, n]) => `${l}: ${n}`)
      .join(', ')}`,
  );
  if (verbose) {
    lines.push('most common rejections:');
    for (const [fn, row] of Object.entries(report.reasons)) {
      lines.push(`  ${fn}:`);
      for (const [reason, n] of Object.entries(row)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 8))
        lines.push(`    ${String(n).padStart(6)}  ${JSON.stringify(reason)}`);
    }
  }
  lines.push(
    `publishes to the fake proxy: ${report.publishes.requests} requests, ${report.publishes.items} items, ${report.publishes.malformed} malformed`,
  );
  if (Object.keys(report.known).length > 0) {
    lines.push(
      `known limitations met (not violations): ${Object.entries(report.known)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
  }
  if (report.workerRestarts > 0) lines.push(`worker restarts: ${report.workerRestarts}`);
  if (report.failure === undefined) {
    lines.push('violations: 0');
  } else {
    const f = report.failure;
    lines.push(`VIOLATION at input ${f.foundAtRun} (shrunk ${f.shrinks} times):`);
    for (const v of f.violations) lines.push(`  ${v.fn}: ${v.kind}: ${v.detail}`);
    lines.push('minimal reproducing input (case, then the Lambda event every function was given):');
    lines.push(JSON.stringify({ seed: report.seed, case: f.case }, null, 2));
    lines.push(JSON.stringify(f.event, null, 2));
    lines.push('answers:');
    lines.push(JSON.stringify(f.outcomes, null, 2));
    if (f.logs.length > 0) lines.push('function logs:', ...f.logs.map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
