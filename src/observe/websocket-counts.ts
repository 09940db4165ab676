import type { HttpResponse } from '../lambda/types.js';
import { CloseCode, decodeClosePayload } from '../protocol/close.js';
import { decodeEvents } from '../protocol/codec.js';
import { CONTROL_PREFIX, MESSAGE_PREFIX } from '../protocol/control.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';

/** What one WebSocket-over-HTTP request carried and what its answer did. */
export interface WebSocketCounts {
  readonly connectionId: string;
  readonly eventsIn: Readonly<Record<string, number>>;
  readonly eventsOut: Readonly<Record<string, number>>;
  /** TEXT and BINARY messages, control messages (`c:`) not counted, and their payload bytes. */
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** An OPEN answered with OPEN. */
  readonly opened: boolean;
  /** The connection ended here: the client's CLOSE code (1006 for a DISCONNECT), else the function's. */
  readonly closeCode: number | undefined;
}

function startsWith(content: Uint8Array | undefined, prefix: Uint8Array): boolean {
  return content !== undefined && content.length >= 2 && content[0] === prefix[0] && content[1] === prefix[1];
}

/**
 * Counts a request's events (as decoded for the handler) and its answer's
 * (read back from the response body, which is short: the answer to one
 * request).
 */
export function countWebSocket(connectionId: string, eventsIn: readonly WebSocketEvent[], response: HttpResponse): WebSocketCounts {
  const typesIn: Record<string, number> = {};
  let messagesIn = 0;
  let bytesIn = 0;
  let opening = false;
  let closeCode: number | undefined;
  for (const event of eventsIn) {
    typesIn[event.type] = (typesIn[event.type] ?? 0) + 1;
    if (event.type === 'TEXT' || event.type === 'BINARY') {
      messagesIn++;
      bytesIn += event.content?.length ?? 0;
    } else if (event.type === 'OPEN') opening = true;
    else if (event.type === 'CLOSE') closeCode ??= decodeClosePayload(event.content).code;
    else if (event.type === 'DISCONNECT') closeCode ??= CloseCode.ABNORMAL;
  }
  const typesOut: Record<string, number> = {};
  let messagesOut = 0;
  let bytesOut = 0;
  let opened = false;
  const isEvents = response.headers['Content-Type'] === CONTENT_TYPE_WEBSOCKET_EVENTS && typeof response.body !== 'string';
  const eventsOut = isEvents ? decodeEvents(response.body as Uint8Array) : [];
  for (const event of eventsOut) {
    typesOut[event.type] = (typesOut[event.type] ?? 0) + 1;
    if (event.type === 'TEXT' || event.type === 'BINARY') {
      if (event.type === 'TEXT' && startsWith(event.content, CONTROL_PREFIX)) continue;
      messagesOut++;
      const length = event.content?.length ?? 0;
      bytesOut += startsWith(event.content, MESSAGE_PREFIX) ? length - MESSAGE_PREFIX.length : length;
    } else if (event.type === 'OPEN') opened = opening;
    else if (event.type === 'CLOSE') closeCode ??= decodeClosePayload(event.content).code;
  }
  return { connectionId, eventsIn: typesIn, eventsOut: typesOut, messagesIn, messagesOut, bytesIn, bytesOut, opened, closeCode };
}
