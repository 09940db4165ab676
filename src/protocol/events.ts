/**
 * The events of the WebSocket-over-HTTP protocol, as carried in
 * `application/websocket-events` bodies between a GRIP proxy and the function.
 */
export const EVENT_TYPES = ['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT'] as const;

export type WebSocketEventType = (typeof EVENT_TYPES)[number];

/**
 * One event. `content` is absent for events written without a length
 * (`OPEN\r\n`) and present, possibly empty, for those written with one
 * (`TEXT 0\r\n\r\n`); the codec keeps that distinction so bodies round-trip.
 */
export interface WebSocketEvent {
  readonly type: WebSocketEventType;
  readonly content?: Uint8Array;
}

export const CONTENT_TYPE_WEBSOCKET_EVENTS = 'application/websocket-events';
