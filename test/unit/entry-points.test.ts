// The public surface, entry point by entry point: every name (values and
// types) each entry of package.json's exports map gives, read by the
// TypeScript checker from the sources the build compiles. A name added to
// or dropped from an entry fails here until the list says so.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { entrySources, exportReader, root } from './entry-exports.js';

const EXPECTED: Record<string, readonly string[]> = {
  '.': [
    'AcceptOptions',
    'AppendOptions',
    'AppendResult',
    'ChannelItem',
    'ChannelSequencer',
    'ChannelSpec',
    'CloseCode',
    'CloseEvent',
    'CloseInfo',
    'ConnectionMeta',
    'DEFAULT_MAX_MESSAGE_BYTES',
    'DEFAULT_MAX_SUBSCRIPTIONS',
    'DEFAULT_RATE_LIMIT',
    'ChannelOperation',
    'ChannelPermissionError',
    'ClientAuthOptions',
    'ClientClaims',
    'ClientIdentity',
    'ClientTokenOptions',
    'ClientTokenVerifier',
    'ConnectionsPerUserOptions',
    'RateLimitOptions',
    'TOKEN_EXPIRED_CLOSE_CODE',
    'TOKEN_PROTOCOL_PREFIX',
    'TokenCarrier',
    'TokenCheck',
    'authorize',
    'clientAuthFromEnv',
    'clientIdentity',
    'mayUseChannel',
    'readHandshakeToken',
    'UserConnectionCounter',
    'withClientAuth',
    'withRateLimit',
    'DroppedRecord',
    'FEED_START',
    'Feed',
    'FeedItem',
    'FeedUnavailableError',
    'GripEnv',
    'GripLogger',
    'GripOptions',
    'GripPublisher',
    'GripSigVerifier',
    'Hold',
    'HttpHandler',
    'HttpResponse',
    'IncomingRequest',
    'InvocationInfo',
    'InvocationRecord',
    'InvocationScope',
    'ItemBuilder',
    'ItemOptions',
    'KeepAliveOptions',
    'LambdaHandler',
    'LambdaHttpEvent',
    'LambdaHttpResult',
    'LogEntry',
    'LogLevel',
    'LogThreshold',
    'LongPollHoldOptions',
    'LongPollResponseOptions',
    'MAX_META_VALUE_BYTES',
    'MAX_RESPONSE_BYTES',
    'ObserveOptions',
    'PUSHPIN_MAX_CONTROL_BODY_BYTES',
    'PermanentRecordError',
    'ProxyFailure',
    'ProxyLimits',
    'PublishError',
    'PublishFormat',
    'PublisherOptions',
    'RESERVED_CHANNEL_PREFIX',
    'Received',
    'RelayEvent',
    'RelayHandler',
    'RelayMapper',
    'RelayMessage',
    'RelayOptions',
    'RelayResult',
    'ReliableStreamOptions',
    'RequestError',
    'RequestHeaders',
    'RetryOptions',
    'RouteHandler',
    'RouterOptions',
    'Routes',
    'SequenceMark',
    'SequenceWatcher',
    'SourceKind',
    'SourceRecord',
    'SseHoldOptions',
    'StreamHoldOptions',
    'SubscribeOptions',
    'SubscriptionFilter',
    'Target',
    'VerifyKey',
    'VerifyResult',
    'WebSocketContext',
    'WebSocketHandlers',
    'WebSocketMessage',
    'WebSocketRequest',
    'WebSocketState',
    'constantTimeEqual',
    'defaultItems',
    'errorResult',
    'formatSseEvent',
    'getLogger',
    'getPublisher',
    'holdLongPoll',
    'holdSse',
    'holdStream',
    'http',
    'httpStream',
    'httpStreamClose',
    'invocationInfo',
    'isStreamId',
    'jsonLogger',
    'jsonMapper',
    'longPollResponse',
    'maxMessageBytesFor',
    'readProxyLimits',
    'readWebSocketContext',
    'relay',
    'reliableStream',
    'respond',
    'sseEvent',
    'routeMessages',
    'textLogger',
    'webSocketResult',
    'websocket',
    'wsClose',
    'wsMessage',
  ],
  './protocol': [
    'CONTENT_TYPE_WEBSOCKET_EVENTS',
    'CloseCode',
    'CloseInfo',
    'ControlMessage',
    'DecodeErrorCode',
    'EVENT_TYPES',
    'KeepAliveOptions',
    'SubscriptionFilter',
    'WebSocketEvent',
    'WebSocketEventType',
    'WebSocketEventsDecodeError',
    'decodeEvents',
    'encodeEvents',
    'isSendableCloseCode',
  ],
  './feed': [
    'AppendOptions',
    'AppendResult',
    'DynamoDBSettings',
    'DynamoFeed',
    'DynamoFeedOptions',
    'DynamoSequences',
    'DynamoSequencesOptions',
    'DynamoTable',
    'FEED_START',
    'Feed',
    'FeedItem',
    'FeedUnavailableError',
    'RedisClient',
    'RedisConnection',
    'RedisFeed',
    'RedisFeedOptions',
    'RedisScript',
    'RedisSequences',
    'RedisSequencesOptions',
    'StoreBackend',
    'StoreEnv',
    'StoreUnavailableError',
    'closeSharedFeed',
    'dynamoSettingsFromEnv',
    'getFeed',
    'isStreamId',
    'redisClientOptions',
    'redisClusterOptions',
    'sharedRedis',
    'storeBackend',
  ],
  './presence': [
    'DynamoPresenceStore',
    'DynamoPresenceStoreOptions',
    'Presence',
    'PresenceChange',
    'PresenceEnv',
    'PresenceMember',
    'PresenceOptions',
    'PresenceStore',
    'RedisPresence',
    'RedisPresenceOptions',
    'RedisPresenceStore',
    'RedisPresenceStoreOptions',
    'StoreUnavailableError',
    'closeSharedPresence',
    'getPresence',
    'presenceHandlers',
  ],
  './client': [
    'ClientOptions',
    'ConnectionState',
    'RealtimeClient',
    'ServerMessage',
    'WebSocketConstructor',
    'WebSocketLike',
    'connect',
    'isNewerId',
    'tokenExpiry',
  ],
  './local': ['InvocationLog', 'RunningStack', 'StackOptions', 'freePort', 'lambdaContext', 'readProxyConnections', 'startStack'],
  './testing': [
    'CloseInfo',
    'ControlMessage',
    'FrontDoorEvents',
    'FrontDoorKind',
    'OutgoingMessage',
    'WebSocketEvent',
    'WebSocketRequestOptions',
    'WebSocketResultView',
    'binaryEvent',
    'closeEvent',
    'disconnectEvent',
    'lambdaContext',
    'openEvent',
    'pingEvent',
    'readWebSocketResult',
    'signGripSig',
    'textEvent',
    'webSocketRequest',
  ],
};

const sources = entrySources();
const exportsOf = exportReader([...sources.values()]);

for (const [entry, expected] of Object.entries(EXPECTED)) {
  test(`grip-lambda${entry === '.' ? '' : entry.slice(1)} exports exactly its listed names`, () => {
    const file = sources.get(entry);
    assert.ok(file !== undefined, `${entry} is in the exports map`);
    assert.deepEqual(exportsOf(file), [...expected].sort());
  });
}

test('every other entry is listed too, so none grows unseen', () => {
  const pinned = new Set(Object.keys(EXPECTED));
  const snapshot = Object.fromEntries(
    [...sources].filter(([entry]) => !pinned.has(entry)).map(([entry, file]) => [entry, exportsOf(file)]),
  );
  assert.deepEqual(snapshot, {}, 'add these to EXPECTED');
});

test("tsconfig.json's paths name, for each entry, the source its import target is built from", () => {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile) as {
    config: { compilerOptions: { paths: Record<string, string[]> } };
  };
  const expected = Object.fromEntries(
    [...sources].map(([entry, file]) => [`grip-lambda${entry.slice(1)}`, [`./${file.slice(root.length)}`]]),
  );
  assert.deepEqual(config.compilerOptions.paths, expected);
});

test('every entry but the plugin has types, import and require conditions; require loads the import target', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
  };
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') {
      assert.ok(['./package.json', './serverless'].includes(entry), `${entry} is a plain path, not conditions`);
      continue;
    }
    assert.deepEqual(Object.keys(target), ['types', 'import', 'require'], `${entry}: the conditions, in resolution order`);
    assert.equal(target.types, target.import!.replace(/\.js$/, '.d.ts'), `${entry}: types next to the import target`);
    // The wrapper requires the same built file `import` loads, and names the entry in its error.
    const wrapper = readFileSync(join(root, target.require!), 'utf8');
    const name = `grip-lambda${entry.slice(1)}`;
    assert.ok(
      wrapper.includes(`require('../${target.import!.slice(2)}')`) && wrapper.includes(`'${name}'`),
      `${target.require} requires ${target.import} and names ${name}:\n${wrapper}`,
    );
  }
});
