import type { Context } from 'aws-lambda';
import { describeError } from '../errors.js';
import type { FrontDoorName, HttpRequest, HttpResponse } from '../lambda/types.js';
import type { WebSocketEvent } from '../protocol/events.js';
import type { ChannelItem } from '../publish/items.js';
import { processCounters } from './counters.js';
import { localObserver, type LocalInvocation, type LocalObserver, type LocalPublish } from './local-hook.js';
import { errorFields, type GripLogger, type LogEntry } from './logger.js';
import { emfJson, type InvocationMetricName } from './metrics.js';
import type { InvocationRecord } from './record.js';
import type { ObserveSettings } from './settings.js';
import {
  loadedOtel,
  loadOtel,
  otelRegistered,
  SPAN_KIND_PRODUCER,
  SPAN_KIND_SERVER,
  SPAN_STATUS_ERROR,
  TRACER_NAME,
  type OtelApi,
  type OtelContext,
  type OtelSpan,
} from './tracing.js';
import type { WebSocketCounts } from './websocket-counts.js';

let coldStart = true;

/**
 * A monotonic clock in ms. Not `performance.now()`: the global `performance`
 * loads node:perf_hooks on first use, about 2 ms of a cold start's first
 * request (`npm run bench`, echo load plus first signed request).
 */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The X-Ray trace root Lambda puts in `_X_AMZN_TRACE_ID` for each invocation (`Root=1-...;Parent=...;Sampled=1`). */
function xrayTraceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (header === undefined) return undefined;
  const start = header.indexOf('Root=');
  if (start === -1) return undefined;
  const end = header.indexOf(';', start);
  return header.slice(start + 5, end === -1 ? undefined : end);
}

/** A flat record's members as JSON (`,"key":value...`): numbers and booleans as they are, the rest by JSON.stringify. */
function jsonMembers(record: object): string {
  let json = '';
  for (const key in record) {
    const value = (record as Record<string, unknown>)[key];
    if (value === undefined) continue;
    json += `,"${key}":${typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value)}`;
  }
  return json;
}

/** What the user code of an invocation can read about it (`invocationInfo()`). */
export interface InvocationInfo {
  readonly functionName: string;
  /** Lambda's request id (`context.awsRequestId`), the logs' `requestId`. */
  readonly requestId: string | undefined;
  /** The X-Ray trace root id, when traced. */
  readonly traceId: string | undefined;
  /** The WebSocket connection the request is for. */
  readonly connectionId: string | undefined;
}

/**
 * One invocation as seen from outside: what it received and answered, its
 * publishes and errors, its duration; written when it ends as one log line
 * with its metrics, given to the local stack when one runs, and traced as a
 * span when OpenTelemetry is there.
 */
export class Observation implements InvocationInfo {
  readonly functionName: string;
  readonly requestId: string | undefined;
  connectionId: string | undefined;
  /** Read on first use (a line, a span, invocationInfo), within the invocation: Lambda sets it for each one. */
  #traceId: string | undefined | null = null;
  readonly #settings: ObserveSettings;
  readonly #local: LocalObserver | undefined;
  readonly #logger: GripLogger;
  readonly #started = monotonicMs();
  readonly #coldStart: boolean;
  readonly #retriesAtStart = processCounters.publishRetries;
  #frontDoor: FrontDoorName | undefined;
  #method: string | undefined;
  #path: string | undefined;
  #ws: WebSocketCounts | undefined;
  #publishes = 0;
  #publishFailures = 0;
  #gripSigRejected = false;
  #error = false;
  /** For the local stack only. */
  #publishRecords: LocalPublish[] | undefined;
  #webSocketRaw: LocalInvocation['webSocket'];
  #errors: string[] | undefined;
  #span: OtelSpan | undefined;
  #spanContext: OtelContext | undefined;
  #otel: OtelApi | undefined;

  constructor(settings: ObserveSettings, context: Context | undefined, local: LocalObserver | undefined) {
    this.#settings = settings;
    this.#local = local;
    this.#logger = settings.injectedLogger ?? local?.logger ?? settings.logger;
    this.functionName = context?.functionName ?? settings.functionName;
    this.requestId = context?.awsRequestId;
    this.#coldStart = coldStart;
    coldStart = false;
    if (local !== undefined) {
      this.#publishRecords = [];
      this.#errors = [];
    }
  }

  /** The X-Ray trace root id, when traced. */
  get traceId(): string | undefined {
    if (this.#traceId === null) this.#traceId = xrayTraceId();
    return this.#traceId;
  }

  /** Whether anything reads the invocation's counts (a line, metrics, a span, the local stack): they are not made otherwise. */
  get counting(): boolean {
    const settings = this.#settings;
    return this.#local !== undefined || this.#span !== undefined || settings.invocationLines || settings.metrics !== undefined;
  }

  /** The logger for this invocation's lines. */
  get logger(): GripLogger {
    return this.#logger;
  }

  /** Fields every line about this invocation carries. */
  fields(): Record<string, unknown> {
    const fields: Record<string, unknown> = { function_name: this.functionName, requestId: this.requestId };
    if (this.traceId !== undefined) fields['xray_trace_id'] = this.traceId;
    if (this.connectionId !== undefined) fields['connection_id'] = this.connectionId;
    return fields;
  }

  /** Starts this invocation's span, when tracing is on and OpenTelemetry is installed; resolves at once after the first load. */
  startSpan(): void | Promise<void> {
    if (!this.#settings.tracing) return;
    const otel = loadedOtel();
    if (otel === undefined) return otelRegistered() ? loadOtel().then(() => this.startSpan()) : undefined;
    if (otel === null) return;
    this.#otel = otel;
    const attributes: Record<string, string | number | boolean> = { 'faas.name': this.functionName, 'faas.coldstart': this.#coldStart };
    if (this.requestId !== undefined) attributes['faas.invocation_id'] = this.requestId;
    const span = otel.trace
      .getTracer(TRACER_NAME)
      .startSpan(this.functionName, { kind: SPAN_KIND_SERVER, attributes }, otel.context.active());
    // With no tracer provider registered the API hands out no-op spans: nothing to nest or to end.
    if (!span.isRecording()) return;
    this.#span = span;
    this.#spanContext = otel.trace.setSpan(otel.context.active(), this.#span);
  }

  /** Runs `fn` with this invocation's span active, so spans user code starts are its children. */
  inSpan<T>(fn: () => T): T {
    return this.#spanContext === undefined ? fn() : this.#otel!.context.with(this.#spanContext, fn);
  }

  /** The request got past the front door's reading. */
  admitted(frontDoor: FrontDoorName, request: HttpRequest): void {
    this.#frontDoor = frontDoor;
    this.#method = request.method;
    this.#path = request.path;
    this.#span?.setAttribute('http.request.method', request.method);
    this.#span?.setAttribute('url.path', request.path);
  }

  gripSigRejected(): void {
    this.#gripSigRejected = true;
  }

  /** What a WebSocket-over-HTTP request carried and its answer: counted, and for the local stack kept as they are. */
  webSocket(counts: WebSocketCounts, eventsIn: readonly WebSocketEvent[], response: HttpResponse): void {
    this.#ws = counts;
    if (this.#local !== undefined) this.#webSocketRaw = { eventsIn, response };
    this.connectionId = counts.connectionId;
    this.#span?.setAttribute('grip.connection_id', counts.connectionId);
  }

  /** User code failed (a 500, or a WebSocket closed with 1011); `error` is logged with this invocation's fields. */
  failed(message: string, error: unknown, extra: Readonly<Record<string, unknown>> = {}): void {
    this.#error = true;
    this.log('error', { message, ...extra, error: errorFields(error) });
    if (this.#span !== undefined) {
      this.#span.recordException(error instanceof Error ? error : String(error));
      this.#span.setStatus({ code: SPAN_STATUS_ERROR, message });
    }
  }

  /** A line about this invocation, with its fields. */
  log(level: 'debug' | 'info' | 'warn' | 'error', entry: LogEntry): void {
    this.#logger[level]({ ...this.fields(), ...entry });
    if (this.#errors !== undefined && (level === 'error' || level === 'warn')) {
      const error = entry['error'] as { message?: unknown } | undefined;
      this.#errors.push(error === undefined ? entry.message : `${entry.message}: ${String(error.message ?? error)}`);
    }
  }

  /** A publish made in this invocation: counted, and traced as a child span when the invocation is. */
  published(items: readonly ChannelItem[], done: Promise<unknown>): void {
    this.#publishes++;
    let span: OtelSpan | undefined;
    if (this.#span !== undefined) {
      span = this.#otel!.trace.getTracer(TRACER_NAME).startSpan(
        'publish',
        {
          kind: SPAN_KIND_PRODUCER,
          attributes: {
            'messaging.system': 'grip',
            'messaging.operation.type': 'publish',
            'messaging.destination.name': items[0]?.channel ?? '',
            'messaging.batch.message_count': items.length,
          },
        },
        this.#spanContext,
      );
    }
    const records = this.#publishRecords;
    if (span === undefined && records === undefined) {
      done.catch(() => void this.#publishFailures++);
      return;
    }
    done.then(
      () => {
        span?.end();
        records?.push({ items, error: undefined });
      },
      (error: unknown) => {
        this.#publishFailures++;
        if (span !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SPAN_STATUS_ERROR, message: describeError(error) });
          span.end();
        }
        records?.push({ items, error: describeError(error) });
      },
    );
  }

  /** The invocation answered `status` and its pending work settled: its line, metrics, record and span. */
  end(status: number): void {
    if (!this.counting) return;
    const settings = this.#settings;
    const local = this.#local;
    const durationMs = Math.round((monotonicMs() - this.#started) * 1000) / 1000;
    const record = this.#record(status, durationMs);
    if (this.#span !== undefined) {
      this.#span.setAttribute('http.response.status_code', status);
      this.#span.setAttribute('grip.publishes', this.#publishes);
      this.#span.end();
    }
    if (local !== undefined) {
      local.invocation({ record, publishes: this.#publishRecords!, errors: this.#errors!, webSocket: this.#webSocketRaw });
      return;
    }
    const metrics =
      settings.metrics !== undefined
        ? emfJson(settings.metrics, this.functionName, this.#metricValues(record), record.close_code)
        : undefined;
    if (settings.invocationLines && settings.metricsInLogLine && metrics !== undefined) {
      // The toolkit's own JSON line, written by hand: its fields are known, so no generic serializer walks it.
      settings.sink(`{"timestamp":"${new Date().toISOString()}","level":"INFO","message":"invocation"${jsonMembers(record)},${metrics}}`);
      return;
    }
    if (settings.invocationLines) this.#logger.info({ message: 'invocation', ...record });
    if (metrics !== undefined) settings.sink(`{${metrics}}`);
  }

  #record(status: number, durationMs: number): InvocationRecord {
    const ws = this.#ws;
    const record: Record<string, unknown> = {
      function_name: this.functionName,
      requestId: this.requestId,
      cold_start: this.#coldStart,
    };
    if (this.traceId !== undefined) record['xray_trace_id'] = this.traceId;
    if (this.#frontDoor !== undefined) {
      record['front_door'] = this.#frontDoor;
      record['method'] = this.#method;
      record['path'] = this.#path;
    }
    if (ws !== undefined) {
      record['connection_id'] = ws.connectionId;
      record['events_in'] = ws.eventsIn;
      record['events_out'] = ws.eventsOut;
      record['messages_in'] = ws.messagesIn;
      record['messages_out'] = ws.messagesOut;
      record['bytes_in'] = ws.bytesIn;
      record['bytes_out'] = ws.bytesOut;
      if (ws.opened) record['opened'] = true;
      if (ws.closeCode !== undefined) record['close_code'] = ws.closeCode;
    }
    record['status'] = status;
    record['duration_ms'] = durationMs;
    record['publishes'] = this.#publishes;
    record['publish_failures'] = this.#publishFailures;
    record['publish_retries'] = processCounters.publishRetries - this.#retriesAtStart;
    if (this.#gripSigRejected) record['grip_sig_rejected'] = true;
    if (this.#error) record['handler_error'] = true;
    return record as unknown as InvocationRecord;
  }

  /**
   * The invocation's metric values. Counts of zero are left out (a missing
   * datapoint adds nothing to a Sum, and the line stays short); the
   * duration is always there, so every invocation is one datapoint of it.
   */
  #metricValues(record: InvocationRecord): Partial<Record<InvocationMetricName, number>> {
    const values: Partial<Record<InvocationMetricName, number>> = {};
    if (record.opened === true) values.ConnectionsOpened = 1;
    if (record.messages_in) values.MessagesIn = record.messages_in;
    if (record.messages_out) values.MessagesOut = record.messages_out;
    if (record.bytes_in) values.BytesIn = record.bytes_in;
    if (record.bytes_out) values.BytesOut = record.bytes_out;
    if (record.publishes) values.Publishes = record.publishes;
    if (record.publish_failures) values.PublishFailures = record.publish_failures;
    if (record.publish_retries) values.PublishRetries = record.publish_retries;
    if (this.#gripSigRejected) values.GripSigRejections = 1;
    if (this.#error) values.Errors = 1;
    values.HandlerDuration = record.duration_ms;
    return values;
  }
}

/** Makes an invocation's observation. */
export function observe(settings: ObserveSettings, context: Context | undefined): Observation {
  return new Observation(settings, context, localObserver());
}
