// The package's types compile without the DOM lib (see globals.ts).
import '../globals.js';
// grip-lambda/protocol: the WebSocket-over-HTTP wire format, for code that
// reads or writes `application/websocket-events` bodies itself.
export { decodeEvents, encodeEvents } from './codec.js';
export { WebSocketEventsDecodeError, type DecodeErrorCode } from './errors.js';
export { EVENT_TYPES, CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent, type WebSocketEventType } from './events.js';
export { CloseCode, isSendableCloseCode, type CloseInfo } from './close.js';
export type { ControlMessage, KeepAliveOptions, SubscriptionFilter } from './control.js';
