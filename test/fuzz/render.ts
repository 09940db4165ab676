/**
 * Turns symbolic cases into the events Lambda would deliver: API Gateway
 * REST (payload 1.0), HTTP API and Function URL (payload 2.0), ALB with
 * `headers` or `multiValueHeaders`, and the relay's record sources.
 */
import { SignJWT } from 'jose';
import type { Fix, HttpCase, RelayCase, SigKind } from './model.js';

/** The secret the fuzzed functions check Grip-Sig with (keyed variant). */
export const FUZZ_SIG_KEY = 'fuzz-sig-key-0123456789abcdef';
/** PUBLISH_TOKEN of the keyed variant. */
export const FUZZ_PUBLISH_TOKEN = 'fuzz-publish-token';

export interface Tokens {
  /** The Grip-Sig header value for a kind of signature, or undefined for none. */
  get(kind: SigKind, index: number): string | undefined;
}

const GARBAGE = [
  'x',
  'a.b.c',
  'Bearer abc',
  'eyJhbGciOiJIUzI1NiJ9.e30.',
  'eyJ.eyJ.x',
  '....',
  ' ',
  '\r\n',
  'é',
  'a'.repeat(9000),
  'eyJhbGciOiJIUzI1NiJ9.' + 'A'.repeat(5000) + '.x',
];

/** Signs every kind of Grip-Sig once per run: `count` valid ones (the verifier caches them), one of each bad kind. */
export async function makeTokens(count = 64): Promise<Tokens> {
  const key = new TextEncoder().encode(FUZZ_SIG_KEY);
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, signingKey = key, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(signingKey);
  const valid: string[] = [];
  for (let i = 0; i < count; i++) valid.push(await sign({ iss: 'pushpin', exp: now + 6 * 3600, n: i }));
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const fixed: Record<Exclude<SigKind, 'valid' | 'none' | 'empty' | 'garbage'>, string> = {
    expired: await sign({ iss: 'pushpin', exp: now - 120 }),
    'wrong-key': await sign({ iss: 'pushpin', exp: now + 3600 }, new TextEncoder().encode('not-the-key')),
    'wrong-iss': await sign({ iss: 'fanout', exp: now + 3600 }),
    'no-exp': await sign({ iss: 'pushpin' }),
    'alg-none': `${b64({ alg: 'none' })}.${b64({ iss: 'pushpin', exp: now + 3600 })}.`,
    hs512: await sign({ iss: 'pushpin', exp: now + 3600 }, key, 'HS512'),
  };
  return {
    get(kind, index) {
      switch (kind) {
        case 'valid':
          return valid[index % valid.length];
        case 'none':
          return undefined;
        case 'empty':
          return '';
        case 'garbage':
          return GARBAGE[index % GARBAGE.length];
        default:
          return fixed[kind];
      }
    },
  };
}

/** A plain object without a prototype, so that `__proto__` is just another key, as after JSON.parse. */
function dict(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function escapeText(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // a lone surrogate: sent raw, as a broken client would
  }
}

function bodyFields(c: HttpCase): { body: string | null; isBase64Encoded: boolean } {
  if (c.body === null) return { body: null, isBase64Encoded: false };
  const bytes = Buffer.from(c.body, 'latin1');
  switch (c.encoding) {
    case 'base64':
      return { body: bytes.toString('base64'), isBase64Encoded: true };
    case 'text':
      return { body: bytes.toString('utf8'), isBase64Encoded: false };
    case 'bad-base64':
      return { body: `${bytes.toString('utf8')}@@=!*`, isBase64Encoded: true };
  }
}

/** The request headers of a case, in order, with Grip-Sig and Authorization added. */
export function caseHeaders(c: HttpCase, tokens: Tokens): [string, string][] {
  const headers: [string, string][] = c.headers.map(([name, value]) => [name, value]);
  const sig = tokens.get(c.sig, c.sigIndex);
  if (sig !== undefined) headers.push(['Grip-Sig', sig]);
  if (c.bearer !== 'none') headers.push(['Authorization', c.bearer === 'right' ? `Bearer ${FUZZ_PUBLISH_TOKEN}` : 'Bearer wrong']);
  return headers;
}

/** Renders the Lambda event of an HTTP case, then applies its structural mutations. */
export function renderHttpEvent(c: HttpCase, tokens: Tokens): unknown {
  if (c.replaceEvent !== undefined) return structuredClone(c.replaceEvent);
  const headers = caseHeaders(c, tokens);
  const { body, isBase64Encoded } = bodyFields(c);
  const now = Date.now();
  let event: Record<string, unknown>;
  switch (c.door) {
    case 'rest': {
      const single = dict();
      const multi = dict();
      for (const [name, value] of headers) {
        single[name] = value;
        multi[name] = [...((multi[name] as string[] | undefined) ?? []), value];
      }
      const query = dict();
      const multiQuery = dict();
      for (const [name, value] of c.query) {
        query[name] = value;
        multiQuery[name] = [...((multiQuery[name] as string[] | undefined) ?? []), value];
      }
      event = {
        resource: '/{proxy+}',
        path: c.path,
        httpMethod: c.method,
        headers: single,
        multiValueHeaders: multi,
        queryStringParameters: c.query.length > 0 ? query : null,
        multiValueQueryStringParameters: c.query.length > 0 ? multiQuery : null,
        pathParameters: c.params === null ? null : { ...c.params },
        stageVariables: null,
        requestContext: {
          accountId: '123456789012',
          apiId: 'fuzz',
          httpMethod: c.method,
          path: `/prod${c.path}`,
          protocol: 'HTTP/1.1',
          requestId: 'req',
          requestTimeEpoch: now,
          resourceId: 'res',
          resourcePath: '/{proxy+}',
          stage: 'prod',
          identity: { sourceIp: '203.0.113.9', userAgent: null },
        },
        body,
        isBase64Encoded,
      };
      break;
    }
    case 'http':
    case 'url': {
      const single = dict();
      const cookies: string[] = [];
      for (const [name, value] of headers) {
        const key = name.toLowerCase();
        if (key === 'cookie') {
          cookies.push(...value.split(/;\s*/));
          continue;
        }
        single[key] = single[key] === undefined ? value : `${single[key] as string},${value}`;
      }
      const query = dict();
      for (const [name, value] of c.query) query[name] = query[name] === undefined ? value : `${query[name] as string},${value}`;
      const domainName = c.door === 'url' ? 'abcdefghij.lambda-url.us-east-1.on.aws' : 'fuzz.execute-api.us-east-1.amazonaws.com';
      event = {
        version: '2.0',
        routeKey: c.door === 'url' ? '$default' : `${c.method} /x`,
        rawPath: c.path,
        rawQueryString: c.query.map(([name, value]) => `${escapeText(name)}=${escapeText(value)}`).join('&'),
        ...(cookies.length > 0 ? { cookies } : {}),
        headers: single,
        ...(c.query.length > 0 ? { queryStringParameters: query } : {}),
        ...(c.params !== null && c.door === 'http' ? { pathParameters: { ...c.params } } : {}),
        requestContext: {
          accountId: '123456789012',
          apiId: 'fuzz',
          domainName,
          domainPrefix: domainName.split('.')[0],
          http: { method: c.method, path: c.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'fuzz' },
          requestId: 'req',
          routeKey: '$default',
          stage: '$default',
          time: new Date(now).toUTCString(),
          timeEpoch: now,
        },
        ...(body !== null ? { body } : {}),
        isBase64Encoded,
      };
      break;
    }
    case 'alb':
    case 'alb-mv': {
      const requestContext = {
        elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fuzz/0123456789abcdef' },
      };
      if (c.door === 'alb') {
        const single = dict();
        for (const [name, value] of headers) single[name.toLowerCase()] = value;
        const query = dict();
        for (const [name, value] of c.query) query[escapeText(name)] = escapeText(value);
        event = {
          requestContext,
          httpMethod: c.method,
          path: c.path,
          queryStringParameters: query,
          headers: single,
          body: body ?? '',
          isBase64Encoded,
        };
      } else {
        const multi = dict();
        for (const [name, value] of headers) {
          const key = name.toLowerCase();
          multi[key] = [...((multi[key] as string[] | undefined) ?? []), value];
        }
        const query = dict();
        for (const [name, value] of c.query)
          query[escapeText(name)] = [...((query[escapeText(name)] as string[] | undefined) ?? []), escapeText(value)];
        event = {
          requestContext,
          httpMethod: c.method,
          path: c.path,
          multiValueQueryStringParameters: query,
          multiValueHeaders: multi,
          body: body ?? '',
          isBase64Encoded,
        };
      }
      break;
    }
  }
  for (const fix of c.fixes) applyFix(event, fix);
  return event;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function applyFix(event: Record<string, unknown>, fix: Fix): void {
  const context = event.requestContext;
  const target =
    fix.target === 'event'
      ? event
      : fix.target === 'requestContext'
        ? context
        : fix.target === 'http'
          ? isObject(context)
            ? context.http
            : undefined
          : fix.target === 'elb'
            ? isObject(context)
              ? context.elb
              : undefined
            : event[fix.target];
  if (!isObject(target) || Array.isArray(target)) return;
  const keys = Object.keys(target);
  const key = typeof fix.key === 'string' ? fix.key : keys.length > 0 ? keys[fix.key % keys.length]! : `k${fix.key}`;
  if (fix.op === 'delete') delete target[key];
  else target[key] = structuredClone(fix.value);
}

// ---------------------------------------------------------------- relay events

const ARN = {
  sqs: 'arn:aws:sqs:us-east-1:123456789012:fuzz',
  kinesis: 'arn:aws:kinesis:us-east-1:123456789012:stream/fuzz',
  dynamodb: 'arn:aws:dynamodb:us-east-1:123456789012:table/fuzz/stream/2024-01-01T00:00:00.000',
  kafka: 'arn:aws:kafka:us-east-1:123456789012:cluster/fuzz/abc',
};

type Attribute = Record<string, unknown>;

function marshall(value: unknown): Attribute {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(marshall) };
  const map: Record<string, Attribute> = {};
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) map[name] = marshall(item);
  return { M: map };
}

export interface RenderedRelay {
  readonly event: unknown;
  /** The ids a `batchItemFailures` entry may name. */
  readonly itemIds: readonly string[];
}

export function renderRelayEvent(c: RelayCase): RenderedRelay {
  const now = Date.now();
  const payloads = c.payloads.map((p) => Buffer.from(p, 'latin1'));
  switch (c.source) {
    case 'sqs':
    case 'sqs-fifo': {
      const ids = payloads.map((_, i) => `0000000${i}-fuzz-message`);
      return {
        itemIds: ids,
        event: {
          Records: payloads.map((payload, i) => ({
            messageId: ids[i],
            receiptHandle: `handle-${i}`,
            body: payload.toString('utf8'),
            attributes: {
              ApproximateReceiveCount: '1',
              SentTimestamp: String(now),
              SenderId: 'AIDAFUZZ',
              ApproximateFirstReceiveTimestamp: String(now),
              ...(c.source === 'sqs-fifo'
                ? { MessageGroupId: `g${i % 2}`, MessageDeduplicationId: `d${i}`, SequenceNumber: String(1000 + i) }
                : {}),
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: ARN.sqs + (c.source === 'sqs-fifo' ? '.fifo' : ''),
            awsRegion: 'us-east-1',
          })),
        },
      };
    }
    case 'kinesis': {
      const ids = payloads.map((_, i) => `4960000000000000000000000000000000000000000000000${i}`);
      return {
        itemIds: ids,
        event: {
          Records: payloads.map((payload, i) => ({
            kinesis: {
              kinesisSchemaVersion: '1.0',
              partitionKey: `k${i % 2}`,
              sequenceNumber: ids[i],
              data: payload.toString('base64'),
              approximateArrivalTimestamp: now / 1000,
            },
            eventSource: 'aws:kinesis',
            eventVersion: '1.0',
            eventID: `shardId-00000000000${i % 2}:${ids[i]}`,
            eventName: 'aws:kinesis:record',
            invokeIdentityArn: 'arn:aws:iam::123456789012:role/fuzz',
            awsRegion: 'us-east-1',
            eventSourceARN: ARN.kinesis,
          })),
        },
      };
    }
    case 'dynamodb': {
      const ids = payloads.map((_, i) => String(100_000 + i));
      return {
        itemIds: ids,
        event: {
          Records: payloads.map((payload, i) => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(payload.toString('utf8'));
            } catch {
              parsed = undefined;
            }
            const image =
              isObject(parsed) && !Array.isArray(parsed)
                ? (marshall(parsed).M as Record<string, Attribute>)
                : { message: { S: payload.toString('utf8') } };
            return {
              eventID: `ev${i}`,
              eventName: 'INSERT',
              eventVersion: '1.1',
              eventSource: 'aws:dynamodb',
              awsRegion: 'us-east-1',
              dynamodb: {
                Keys: { id: { S: `k${i}` } },
                NewImage: image,
                SequenceNumber: ids[i],
                SizeBytes: payload.length,
                StreamViewType: 'NEW_IMAGE',
              },
              eventSourceARN: ARN.dynamodb,
            };
          }),
        },
      };
    }
    case 'kafka': {
      const ids = payloads.map((_, i) => `fuzz-0-${i}`);
      return {
        itemIds: ids,
        event: {
          eventSource: 'aws:kafka',
          eventSourceArn: ARN.kafka,
          bootstrapServers: 'b-1.fuzz:9092',
          records: {
            'fuzz-0': payloads.map((payload, i) => ({
              topic: 'fuzz',
              partition: 0,
              offset: i,
              timestamp: now,
              timestampType: 'CREATE_TIME',
              key: null,
              value: payload.toString('base64'),
              headers: [],
            })),
          },
        },
      };
    }
  }
}
