// Fixture Lambda HTTP events (test/events/*.json) and helpers to vary them,
// read results back, and sign Grip-Sig tokens.
import { readFileSync } from 'node:fs';
import * as jose from 'jose';
import { decodeEvents, encodeEvents } from '../../src/protocol/codec.js';
import type { WebSocketEvent, WebSocketEventType } from '../../src/protocol/events.js';
import type { FrontDoorName, LambdaHttpEvent, LambdaHttpResult } from '../../src/lambda/types.js';

/** A fixture as plain JSON, to be changed freely before it is passed to a handler. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are reshaped freely by tests, field by field
export type JsonEvent = Record<string, any>;

export interface Fixture {
  readonly name: string;
  readonly file: string;
  readonly frontDoor: FrontDoorName;
  /** Whether the front door delivers (and expects back) base64 bodies. */
  readonly base64: boolean;
  /** Where headers live in the event, and whether the names keep their case. */
  readonly headerStyle: 'rest' | 'v2' | 'alb-single' | 'alb-multi';
  /** The Connection-Id header the fixture carries. */
  readonly connectionId: string;
  /** The query the request is read with. */
  readonly rawQuery: string;
}

export const FIXTURES: readonly Fixture[] = [
  {
    name: 'REST API, binary media types',
    file: 'api-gateway-rest-binary.json',
    frontDoor: 'api-gateway-rest',
    base64: true,
    headerStyle: 'rest',
    connectionId: '7f3c2a9e1b4d',
    rawQuery: 'token=abc&tag=a&tag=b',
  },
  {
    name: 'REST API, text bodies',
    file: 'api-gateway-rest-text.json',
    frontDoor: 'api-gateway-rest',
    base64: false,
    headerStyle: 'rest',
    connectionId: '9a8b7c6d5e4f',
    rawQuery: 'token=abc&tag=a&tag=b',
  },
  {
    name: 'HTTP API (payload 2.0)',
    file: 'api-gateway-http.json',
    frontDoor: 'api-gateway-http',
    base64: true,
    headerStyle: 'v2',
    connectionId: 'c0ffee42beef',
    rawQuery: 'token=abc&tag=a&tag=b',
  },
  {
    name: 'Function URL',
    file: 'function-url.json',
    frontDoor: 'function-url',
    base64: true,
    headerStyle: 'v2',
    connectionId: 'f00dbabe1234',
    rawQuery: 'token=abc',
  },
  {
    name: 'ALB, headers',
    file: 'alb.json',
    frontDoor: 'alb',
    base64: true,
    headerStyle: 'alb-single',
    connectionId: 'a1b0b0c0d0e0',
    rawQuery: 'token=abc',
  },
  {
    name: 'ALB, multiValueHeaders',
    file: 'alb-multi-value.json',
    frontDoor: 'alb',
    base64: true,
    headerStyle: 'alb-multi',
    connectionId: 'b2c0c0d0e0f0',
    rawQuery: 'token=abc&tag=a&tag=b',
  },
];

/** Each fixture by name, for tests that need one front door in particular. */
export const FIXTURE = {
  restBinary: FIXTURES[0]!,
  restText: FIXTURES[1]!,
  httpApi: FIXTURES[2]!,
  functionUrl: FIXTURES[3]!,
  alb: FIXTURES[4]!,
  albMultiValue: FIXTURES[5]!,
} as const;

const EVENTS_DIR = new URL('../events/', import.meta.url);
const cache = new Map<string, string>();

/** A fresh copy of a fixture event. */
export function loadEvent(fixture: Fixture | string): JsonEvent {
  const file = typeof fixture === 'string' ? fixture : fixture.file;
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(file, EVENTS_DIR), 'utf8');
    cache.set(file, text);
  }
  return JSON.parse(text) as JsonEvent;
}

export function fixtureByFile(file: string): Fixture {
  const fixture = FIXTURES.find((f) => f.file === file);
  if (fixture === undefined) throw new Error(`no fixture ${file}`);
  return fixture;
}

/** Sets the body the way the fixture's front door carries it: base64, or UTF-8 text. */
export function setBody(event: JsonEvent, body: Uint8Array | string): JsonEvent {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  if (event.isBase64Encoded === true) {
    event.body = bytes.toString('base64');
  } else {
    event.body = bytes.toString('utf8');
  }
  // Keep a Content-Length the fixture carries true, under its own name.
  const { single, multi } = headerMaps(event);
  for (const key of Object.keys(single ?? {})) {
    if (key.toLowerCase() === 'content-length') single![key] = String(bytes.length);
  }
  for (const key of Object.keys(multi ?? {})) {
    if (key.toLowerCase() === 'content-length') multi![key] = [String(bytes.length)];
  }
  return event;
}

function headerMaps(event: JsonEvent): { single?: Record<string, string>; multi?: Record<string, string[]> } {
  return {
    ...(event.headers != null ? { single: event.headers as Record<string, string> } : {}),
    ...(event.multiValueHeaders != null ? { multi: event.multiValueHeaders as Record<string, string[]> } : {}),
  };
}

/** Removes a header (any case) from `headers` and `multiValueHeaders`. */
export function removeHeader(event: JsonEvent, name: string): JsonEvent {
  const lower = name.toLowerCase();
  const { single, multi } = headerMaps(event);
  for (const map of [single, multi]) {
    if (map === undefined) continue;
    for (const key of Object.keys(map)) if (key.toLowerCase() === lower) delete map[key];
  }
  return event;
}

/**
 * Sets a header where the front door puts it: payload 2.0 lower-cases names;
 * REST keeps the case in both maps; ALB in whichever map it uses.
 */
export function setHeader(event: JsonEvent, name: string, value: string): JsonEvent {
  removeHeader(event, name);
  const key = event.version === '2.0' ? name.toLowerCase() : name;
  const { single, multi } = headerMaps(event);
  if (single !== undefined) single[key] = value;
  if (multi !== undefined) multi[key] = [value];
  if (single === undefined && multi === undefined) event.headers = { [key]: value };
  return event;
}

export function setMethod(event: JsonEvent, method: string): JsonEvent {
  if (event.version === '2.0') event.requestContext.http.method = method;
  else {
    event.httpMethod = method;
    if (event.requestContext?.httpMethod !== undefined) event.requestContext.httpMethod = method;
  }
  return event;
}

/** A fixture event carrying `events` as its body, optionally with extra headers. */
export function wsEvent(fixture: Fixture, events: readonly WebSocketEvent[], headers: Readonly<Record<string, string>> = {}): JsonEvent {
  const event = setBody(loadEvent(fixture), encodeEvents(events));
  for (const [name, value] of Object.entries(headers)) setHeader(event, name, value);
  return event;
}

export function asLambdaEvent(event: JsonEvent): LambdaHttpEvent {
  return event as unknown as LambdaHttpEvent;
}

/** One WebSocket event; string content is UTF-8. */
export function ev(type: WebSocketEventType, content?: string | Uint8Array): WebSocketEvent {
  if (content === undefined) return { type };
  return { type, content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content };
}

/** The content of a CLOSE event: 2-byte code, then the reason. */
export function closeContent(code: number, reason = ''): Uint8Array {
  const reasonBytes = Buffer.from(reason, 'utf8');
  const out = Buffer.alloc(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  reasonBytes.copy(out, 2);
  return out;
}

export interface ReadResult {
  readonly status: number;
  /** Header names lower-cased; multi-value headers comma-joined. */
  readonly headers: Map<string, string>;
  readonly body: Buffer;
  readonly isBase64Encoded: boolean | undefined;
  readonly raw: JsonEvent;
}

/** Reads a Lambda result of any shape back into status, headers and body bytes. */
export function readResult(result: LambdaHttpResult | unknown): ReadResult {
  const raw = result as JsonEvent;
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries((raw.headers ?? {}) as Record<string, unknown>)) {
    headers.set(name.toLowerCase(), String(value));
  }
  for (const [name, values] of Object.entries((raw.multiValueHeaders ?? {}) as Record<string, unknown[]>)) {
    headers.set(name.toLowerCase(), values.map(String).join(', '));
  }
  const body =
    typeof raw.body !== 'string'
      ? Buffer.alloc(0)
      : raw.isBase64Encoded === true
        ? Buffer.from(raw.body, 'base64')
        : Buffer.from(raw.body, 'utf8');
  return { status: raw.statusCode as number, headers, body, isBase64Encoded: raw.isBase64Encoded as boolean | undefined, raw };
}

/** The WebSocket events of a result. */
export function resultEvents(result: LambdaHttpResult | unknown): WebSocketEvent[] {
  return decodeEvents(readResult(result).body);
}

/** Events as [type, content as latin1 or null] pairs, for compact assertions. */
/**
 * Each event as [type, content]. The subscription to the connection's own
 * channel, which every opening answer carries, is left out so that tests
 * read what the function did; test/unit/targets.test.ts checks it.
 */
export function summarize(events: readonly WebSocketEvent[]): [string, string | null][] {
  return events
    .map((e): [string, string | null] => [e.type, e.content === undefined ? null : Buffer.from(e.content).toString('latin1')])
    .filter(([type, content]) => !(type === 'TEXT' && content !== null && OWN_CHANNEL_SUBSCRIBE.test(content)));
}

const OWN_CHANNEL_SUBSCRIBE = /^c:\{"type":"subscribe","channel":"[^"]*\$c:[^"]*"\}$/;

export const SHARED_KEY = 'changeme';

/** A Grip-Sig token, HS256 with `key` unless a key pair's private key is given. */
export async function signGripSig(
  options: {
    readonly key?: string | jose.KeyLike | Uint8Array;
    readonly alg?: string;
    readonly iss?: string;
    /** Seconds from now; negative for an expired token. */
    readonly expiresIn?: number;
  } = {},
): Promise<string> {
  const { key = SHARED_KEY, alg = 'HS256', iss = 'pushpin', expiresIn = 3600 } = options;
  const signingKey = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ iss })
    .setProtectedHeader({ alg })
    .setIssuedAt(now - 10)
    .setExpirationTime(now + expiresIn)
    .sign(signingKey);
}
