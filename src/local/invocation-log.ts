import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { decodeEvents } from '../protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS } from '../protocol/events.js';

export interface InvocationLog {
  readonly functionName: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly connectionId: string | undefined;
  /** The Lambda request id the host gave the invocation (its context's `awsRequestId`, the logs' `requestId`). */
  readonly requestId?: string;
  /** Publishes the function made, and its error lines: reported by functions on this toolkit (the local stack adds them). */
  readonly publishes?: number;
  readonly errors?: readonly string[];
  /** The WebSocket-over-HTTP event types of the request and of the answer. */
  readonly eventsIn: readonly string[];
  readonly eventsOut: readonly string[];
  /** From the request's first byte to the answer written. */
  readonly durationMs: number;
  /** From calling the handler to its result: the function's own time, without the request's transfer or the host's work. */
  readonly handlerMs: number;
}

/** The WebSocket-over-HTTP event types of a body, none when its headers say it holds something else. */
export function eventTypesOf(headers: IncomingHttpHeaders | OutgoingHttpHeaders, body: string | Uint8Array): string[] {
  const contentType = String(headers['content-type'] ?? headers['Content-Type'] ?? '');
  if (!contentType.startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS)) return [];
  try {
    return decodeEvents(typeof body === 'string' ? Buffer.from(body) : body).map((event) => event.type);
  } catch {
    return ['(malformed)'];
  }
}
