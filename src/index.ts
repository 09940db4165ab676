// The package's types compile without the DOM lib (see globals.ts).
import './globals.js';
// Protocol: the WebSocket-over-HTTP wire format.
export { decodeEvents, encodeEvents } from './protocol/codec.js';
export { WebSocketEventsDecodeError, type DecodeErrorCode } from './protocol/errors.js';
export { EVENT_TYPES, CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent, type WebSocketEventType } from './protocol/events.js';
export { CloseCode, isSendableCloseCode, type CloseInfo } from './protocol/close.js';
export type { KeepAliveOptions, SubscriptionFilter } from './protocol/control.js';

// WebSocket functions.
export {
  WebSocketContext,
  type AcceptOptions,
  type CloseEvent,
  type Received,
  type SubscribeOptions,
  type WebSocketMessage,
  type WebSocketRequest,
} from './websocket/context.js';
export { ConnectionMeta, MAX_META_VALUE_BYTES } from './websocket/meta.js';
export { readProxyLimits, maxMessageBytesFor, DEFAULT_MAX_MESSAGE_BYTES, MAX_RESPONSE_BYTES, type ProxyLimits } from './websocket/limits.js';
export { routeMessages, type RouteHandler, type RouterOptions, type Routes } from './websocket/router.js';
export {
  websocket,
  getWebSocketContext,
  webSocketResult,
  type WebSocketHandlers,
} from './websocket/handler.js';

// Lambda front doors.
export { detectFrontDoor, UnrecognizedEventError } from './lambda/detect.js';
export { createGate, errorResult, toLambdaResult, type Gate, type GripOptions } from './lambda/gate.js';
export type { HandlerSettings } from './lambda/settings.js';
export type {
  FrontDoor,
  FrontDoorName,
  HttpRequest,
  HttpResponse,
  LambdaHandler,
  LambdaHttpEvent,
  LambdaHttpResult,
  RequestHeaders,
} from './lambda/types.js';
export { RequestError } from './errors.js';

// Configuration and Grip-Sig.
export { readGripSettings, type GripEnv, type GripSettings } from './config.js';
export { GripSigVerifier, type VerifyKey, type VerifyResult } from './auth/grip-sig.js';

// Publishing.
export {
  GripPublisher,
  PublishError,
  getPublisher,
  PUSHPIN_MAX_CONTROL_BODY_BYTES,
  type ChannelItem,
  type ItemOptions,
  type ProxyFailure,
  type PublisherOptions,
} from './publish/publisher.js';
export { ChannelSequencer, SequenceWatcher, type SequenceMark } from './publish/sequence.js';
export { Target } from './publish/targets.js';
export { RESERVED_CHANNEL_PREFIX } from './publish/channels.js';
export { wsMessage, wsClose, httpStream, httpStreamClose, httpResponse, sseEvent, formatSseEvent } from './publish/formats.js';

// HTTP functions: plain responses and holds (stream, SSE, long-poll).
export { http, respond, type HttpHandler, type IncomingRequest } from './http/handler.js';
export {
  holdStream,
  holdSse,
  holdLongPoll,
  type Hold,
  type ChannelSpec,
  type StreamHoldOptions,
  type SseHoldOptions,
  type LongPollHoldOptions,
} from './http/hold.js';

// Feeds: channel history with ids, for reliable delivery and resuming.
// The Redis implementation is in 'grip-lambda/feed', so functions without one don't bundle a Redis client.
export { FEED_START, FeedUnavailableError, isStreamId, type Feed, type FeedItem, type AppendOptions, type AppendResult } from './feed/feed.js';
export { parseGripLast, reliableStream, type ReliableStreamOptions } from './http/reliable.js';
export { runInvocation, invocationDeadline } from './lambda/invocation.js';

// Relays: SQS, Kinesis, DynamoDB Streams and Kafka records republished to channels.
export { relay, jsonMapper, defaultItems, PermanentRecordError, type DroppedRecord, type RelayOptions, type RelayResult, type RelayMessage, type RelayMapper, type ItemBuilder } from './relay/relay.js';
export { readSourceRecords, unmarshall, type SourceRecord, type SourceKind, type RelayEvent } from './relay/records.js';
