// The package's types compile without the DOM lib (see globals.ts).
import './globals.js';
// `grip-lambda`: what a function author uses. The wire format is in
// 'grip-lambda/protocol'; the Redis feed in 'grip-lambda/feed'; events and a
// result reader for tests in 'grip-lambda/testing'; the local stack in
// 'grip-lambda/local'. Plumbing (front-door detection, the gate, the
// invocation scope, record readers) is not exported.

// WebSocket functions.
export {
  WebSocketContext,
  type AcceptOptions,
  type CloseEvent,
  type WebSocketState,
  type Received,
  type SubscribeOptions,
  type WebSocketMessage,
  type WebSocketRequest,
} from './websocket/context.js';
export { websocket, readWebSocketContext, webSocketResult, type WebSocketHandlers } from './websocket/handler.js';
export { MAX_META_VALUE_BYTES, type ConnectionMeta } from './websocket/meta.js';
export {
  readProxyLimits,
  maxMessageBytesFor,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_SUBSCRIPTIONS,
  MAX_RESPONSE_BYTES,
  type ProxyLimits,
} from './websocket/limits.js';
export { routeMessages, type RouteHandler, type RouterOptions, type Routes } from './websocket/router.js';

// Client identity, channel permissions and limits (docs/securing.md).
export {
  withClientAuth,
  clientIdentity,
  clientAuthFromEnv,
  readHandshakeToken,
  TOKEN_EXPIRED_CLOSE_CODE,
  TOKEN_PROTOCOL_PREFIX,
  type ClientAuthOptions,
  type ClientIdentity,
  type TokenCarrier,
} from './websocket/client-auth.js';
export { ClientTokenVerifier, type ClientClaims, type ClientTokenOptions, type TokenCheck } from './auth/client-token.js';
export { authorize, mayUseChannel, ChannelPermissionError } from './websocket/channel-guard.js';
export type { ChannelOperation } from './auth/capability.js';
export { withRateLimit, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './websocket/rate-limit.js';
export type { ConnectionsPerUserOptions, UserConnectionCounter } from './websocket/user-connections.js';
export { CloseCode, type CloseInfo } from './protocol/close.js';
export type { KeepAliveOptions, SubscriptionFilter } from './protocol/control.js';

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

// What every handler takes and answers; the errors it answers with.
export type { GripOptions } from './lambda/settings.js';
export type { HttpResponse, LambdaHandler, LambdaHttpEvent, LambdaHttpResult, RequestHeaders } from './lambda/types.js';
export { errorResult } from './lambda/gate.js';
export { RequestError } from './errors.js';
export type { GripEnv } from './config.js';
export { GripSigVerifier, type VerifyKey, type VerifyResult } from './auth/grip-sig.js';
export { constantTimeEqual } from './auth/constant-time.js';

// Logs, metrics and tracing (docs/observability.md).
export { getLogger, invocationInfo } from './observe/current.js';
export { jsonLogger, textLogger, type GripLogger, type LogEntry, type LogLevel, type LogThreshold } from './observe/logger.js';
export type { InvocationInfo } from './observe/observation.js';
export type { InvocationRecord } from './observe/record.js';
export type { ObserveOptions } from './observe/settings.js';

// Publishing.
export { GripPublisher } from './publish/publisher.js';
export { PublishError, type ProxyFailure } from './publish/errors.js';
export type { ChannelItem, ItemOptions } from './publish/items.js';
export { PUSHPIN_MAX_CONTROL_BODY_BYTES, type PublisherOptions, type RetryOptions } from './publish/options.js';
export type { InvocationScope } from './publish/scope.js';
export { getPublisher } from './lambda/invocation.js';
export { ChannelSequencer, SequenceWatcher, type SequenceMark } from './publish/sequence.js';
export { Target } from './publish/targets.js';
export { RESERVED_CHANNEL_PREFIX } from './publish/channels.js';
export {
  wsMessage,
  wsClose,
  httpStream,
  httpStreamClose,
  longPollResponse,
  sseEvent,
  formatSseEvent,
  type LongPollResponseOptions,
  type PublishFormat,
} from './publish/formats.js';

// Feeds: channel history with ids, for reliable delivery and resuming.
// The Redis implementation is in 'grip-lambda/feed', so functions without one don't bundle a Redis client.
export {
  FEED_START,
  FeedUnavailableError,
  isStreamId,
  type Feed,
  type FeedItem,
  type AppendOptions,
  type AppendResult,
} from './feed/feed.js';
export { reliableStream, type ReliableStreamOptions } from './http/reliable.js';

// Relays: SQS, Kinesis, DynamoDB Streams and Kafka records republished to channels.
export {
  relay,
  jsonMapper,
  defaultItems,
  PermanentRecordError,
  type DroppedRecord,
  type ItemBuilder,
  type RelayHandler,
  type RelayMapper,
  type RelayMessage,
  type RelayOptions,
  type RelayResult,
} from './relay/relay.js';
export type { SourceRecord, SourceKind, RelayEvent } from './relay/records.js';
