/**
 * The properties every handler must keep, whatever it is sent.
 *
 * HTTP functions (the routes of serverless.yml):
 * - never throw or reject, never hang, never answer 5xx;
 * - every other non-2xx answer is a 400 or 401 with a non-empty, one-line reason;
 * - no response header name is malformed and no value holds CR, LF or NUL;
 *   every Set-Meta-* value is visible ASCII within MAX_META_VALUE_BYTES;
 * - every 2xx WebSocket-over-HTTP answer decodes with decodeEvents, does not
 *   close the connection with 1011 (the function's own code threw), and its
 *   GRIP control messages (`c:` TEXT) are JSON of a known type, set-meta
 *   values held to the Set-Meta-* rules.
 *
 * Event functions (the relay): never hang; resolve with batchItemFailures
 * naming only records of the event, or reject only as documented (an event
 * of no known source; a Kafka batch with failed records).
 */
import { decodeEvents } from '../../src/protocol/index.js';
import { MAX_META_VALUE_BYTES } from '../../src/index.js';
import type { FunctionInfo, Outcome } from './worker.js';

export interface Violation {
  readonly fn: string;
  readonly kind: string;
  readonly detail: string;
}

export interface Checked {
  /** A label for the totals: the status code, or what went wrong. */
  readonly label: string;
  /** For rejections: the reason, cut short (to see which checks inputs stop at). */
  readonly reason?: string;
  readonly violations: Violation[];
  /** Known limitations seen (counted, not violations). */
  readonly known: string[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VISIBLE = /^[\t\x20-\x7e]*$/;
const CLOSE_INTERNAL_ERROR = 1011;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function short(value: unknown, max = 300): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}

/** Header values as [name, value] pairs from `headers` and `multiValueHeaders`. */
function headerPairs(result: Record<string, unknown>, out: Violation[], fn: string): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  if (result.headers !== undefined) {
    if (!isObject(result.headers)) out.push({ fn, kind: 'bad-result', detail: `headers is ${short(result.headers)}` });
    else for (const [name, value] of Object.entries(result.headers)) pairs.push([name, value]);
  }
  if (result.multiValueHeaders !== undefined) {
    if (!isObject(result.multiValueHeaders))
      out.push({ fn, kind: 'bad-result', detail: `multiValueHeaders is ${short(result.multiValueHeaders)}` });
    else
      for (const [name, values] of Object.entries(result.multiValueHeaders)) {
        if (!Array.isArray(values)) out.push({ fn, kind: 'bad-result', detail: `multiValueHeaders[${short(name)}] is not an array` });
        else for (const value of values) pairs.push([name, value]);
      }
  }
  return pairs;
}

function headerValue(pairs: readonly [string, unknown][], name: string): string | undefined {
  const found = pairs.find(([n]) => n.toLowerCase() === name);
  return found === undefined ? undefined : String(found[1]);
}

export function checkHttp(fn: string, outcome: Outcome): Checked {
  const violations: Violation[] = [];
  const known: string[] = [];
  if (outcome.status === 'timeout')
    return { label: 'timeout', violations: [{ fn, kind: 'hang', detail: `no answer within ${Math.round(outcome.ms)} ms` }], known };
  if (outcome.status === 'threw') {
    return {
      label: 'threw',
      violations: [{ fn, kind: 'threw', detail: `${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack}` }],
      known,
    };
  }
  const result = outcome.value;
  if (!isObject(result) || typeof result.statusCode !== 'number' || !Number.isInteger(result.statusCode)) {
    return { label: 'bad-result', violations: [{ fn, kind: 'bad-result', detail: `not a Lambda HTTP result: ${short(result)}` }], known };
  }
  const status = result.statusCode;
  const label = String(status);
  if (result.body !== undefined && typeof result.body !== 'string') {
    violations.push({ fn, kind: 'bad-result', detail: `body is ${typeof result.body}` });
    return { label, violations, known };
  }
  const body = Buffer.from((result.body as string | undefined) ?? '', result.isBase64Encoded === true ? 'base64' : 'utf8');
  const pairs = headerPairs(result, violations, fn);

  for (const [name, value] of pairs) {
    if (!TOKEN.test(name)) violations.push({ fn, kind: 'header-injection', detail: `header name ${short(name)}` });
    if (typeof value !== 'string') {
      violations.push({ fn, kind: 'bad-result', detail: `header ${name} is ${typeof value}` });
      continue;
    }
    if (/[\r\n\0]/.test(value)) violations.push({ fn, kind: 'header-injection', detail: `header ${name}: ${short(value)}` });
    if (/^set-meta-/i.test(name)) {
      if (!VISIBLE.test(value)) violations.push({ fn, kind: 'meta-injection', detail: `${name}: ${short(value)}` });
      if (Buffer.byteLength(value) > MAX_META_VALUE_BYTES) {
        violations.push({
          fn,
          kind: 'meta-too-long',
          detail: `${name} is ${Buffer.byteLength(value)} bytes (max ${MAX_META_VALUE_BYTES})`,
        });
      }
    }
  }

  if (status >= 500) {
    violations.push({ fn, kind: '5xx', detail: `${status}: ${short(body.toString('utf8'))}` });
  } else if (status < 200 || status >= 300) {
    if (status !== 400 && status !== 401) violations.push({ fn, kind: 'bad-status', detail: `${status}: ${short(body.toString('utf8'))}` });
    const reason = body.toString('utf8');
    const line = reason.endsWith('\n') ? reason.slice(0, -1) : reason;
    if (line.trim() === '' || /[\r\n]/.test(line)) violations.push({ fn, kind: 'bad-reason', detail: `${status} reason ${short(reason)}` });
    return { label, reason: `${status} ${line.slice(0, 48)}`, violations, known };
  } else if ((headerValue(pairs, 'content-type') ?? '').startsWith('application/websocket-events')) {
    let events;
    try {
      events = decodeEvents(body);
    } catch (error) {
      if (result.isBase64Encoded !== true) {
        // A REST API without binaryMediaTypes: bytes that are not UTF-8 (close
        // codes, binary frames) cannot survive a text body. Documented.
        known.push('rest-text-mode-answer-not-decodable');
      } else {
        violations.push({ fn, kind: 'bad-websocket-answer', detail: `${(error as Error).message}: ${short(body.toString('latin1'))}` });
      }
    }
    for (const event of events ?? []) {
      if (event.type === 'TEXT' && event.content !== undefined && event.content[0] === 0x63 && event.content[1] === 0x3a) {
        checkControl(fn, Buffer.from(event.content.subarray(2)).toString('utf8'), violations);
      }
      if (event.type === 'CLOSE' && event.content !== undefined && event.content.length >= 2) {
        const code = (event.content[0]! << 8) | event.content[1]!;
        // An echo of the client's own 1011 carries no reason; the toolkit's close after a throw does.
        if (code === CLOSE_INTERNAL_ERROR && event.content.length > 2) {
          const reason = Buffer.from(event.content.subarray(2)).toString('utf8');
          violations.push({
            fn,
            kind: 'internal-error-close',
            detail: `the function closed the connection with 1011 (${JSON.stringify(reason)}): its code threw`,
          });
        }
      }
    }
  }
  return { label, violations, known };
}

const CONTROL_TYPES = new Set(['subscribe', 'unsubscribe', 'detach', 'set-meta', 'keep-alive', 'session']);

/** A GRIP control message (`c:` TEXT) the proxy would act on: JSON of a known type; set-meta as safe as Set-Meta-*. */
function checkControl(fn: string, json: string, violations: Violation[]): void {
  let message: unknown;
  try {
    message = JSON.parse(json);
  } catch {
    violations.push({ fn, kind: 'bad-control', detail: `control message is not JSON: ${short(json)}` });
    return;
  }
  if (!isObject(message) || typeof message.type !== 'string' || !CONTROL_TYPES.has(message.type)) {
    violations.push({ fn, kind: 'bad-control', detail: `unknown control message ${short(json)}` });
    return;
  }
  if (message.type === 'set-meta') {
    const { name, value } = message;
    if (
      typeof name !== 'string' ||
      !TOKEN.test(name) ||
      typeof value !== 'string' ||
      !VISIBLE.test(value) ||
      Buffer.byteLength(value) > MAX_META_VALUE_BYTES
    ) {
      violations.push({ fn, kind: 'meta-injection', detail: `set-meta control message ${short(json)}` });
    }
  }
}

/** An event of no known source (any event); a Kafka batch with failed records (relay events only). */
const NOT_A_RELAY_EVENT = /^relay event /;
const KAFKA_BATCH_FAILED = /^relay: \d+ Kafka record\(s\) failed/;

export function checkEvent(fn: string, outcome: Outcome, itemIds: readonly string[] | undefined): Checked {
  if (outcome.status === 'timeout')
    return { label: 'timeout', violations: [{ fn, kind: 'hang', detail: `no answer within ${Math.round(outcome.ms)} ms` }], known: [] };
  if (outcome.status === 'threw') {
    const message = outcome.error.message;
    if (NOT_A_RELAY_EVENT.test(message) || (itemIds !== undefined && KAFKA_BATCH_FAILED.test(message)))
      return { label: 'rejected', violations: [], known: [] };
    return {
      label: 'threw',
      violations: [{ fn, kind: 'threw', detail: `${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack}` }],
      known: [],
    };
  }
  const result = outcome.value;
  const failures = isObject(result) ? result.batchItemFailures : undefined;
  if (!Array.isArray(failures))
    return { label: 'bad-result', violations: [{ fn, kind: 'bad-result', detail: `not a batch response: ${short(result)}` }], known: [] };
  const violations: Violation[] = [];
  for (const failure of failures) {
    const id = isObject(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || (itemIds !== undefined && !itemIds.includes(id))) {
      violations.push({ fn, kind: 'bad-result', detail: `batchItemFailures names ${short(failure)}, not a record of the event` });
    }
  }
  if (itemIds === undefined) violations.push({ fn, kind: 'bad-result', detail: 'a non-relay event was answered as a batch' });
  return { label: failures.length > 0 ? 'partial' : 'ok', violations, known: [] };
}

export function checkOutcome(info: FunctionInfo, outcome: Outcome, itemIds: readonly string[] | undefined): Checked {
  return info.kind === 'http' ? checkHttp(info.name, outcome) : checkEvent(info.name, outcome, itemIds);
}
