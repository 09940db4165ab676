// Calling a WebSocket handler with a Lambda event, and what its answer must look like.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { LambdaHttpEvent, LambdaHttpResult } from '../../src/lambda/types.js';
import { websocket, type WebSocketHandlers } from '../../src/websocket/handler.js';
import { readResult, type Fixture } from './lambda-events.js';

export type ReadResult = ReturnType<typeof readResult>;

/** Silences the warnings the toolkit prints (no verify key, REST text bodies) and returns the mock. */
export function quiet(t: TestContext) {
  return t.mock.method(console, 'warn', () => {});
}

export async function call(handler: (event: LambdaHttpEvent) => Promise<LambdaHttpResult>, event: unknown) {
  return readResult(await handler(event as LambdaHttpEvent));
}

export function assertWebSocketAnswer(fixture: Fixture, result: ReadResult): void {
  assert.equal(result.status, 200, `status, body ${result.body.toString('utf8')}`);
  assert.equal(result.headers.get('content-type'), 'application/websocket-events');
  assert.equal(result.isBase64Encoded, fixture.base64, 'base64 answer exactly when the front door allows it');
  if (fixture.headerStyle === 'alb-multi') assert.ok(result.raw.multiValueHeaders !== undefined && result.raw.headers === undefined);
  if (fixture.frontDoor === 'alb') assert.equal(result.raw.statusDescription, '200 OK');
}

/** A 400 with a one-line reason, as text. */
export function assertBadRequest(result: ReadResult, reason: RegExp): void {
  assert.equal(result.status, 400, `body ${result.body.toString('utf8')}`);
  assert.equal(result.isBase64Encoded ?? false, false);
  const text = result.body.toString('utf8');
  assert.match(text, /^[^\n]+\n$/, `one line: ${JSON.stringify(text)}`);
  assert.match(text, reason);
  assert.match(result.headers.get('content-type') ?? '', /^text\/plain/);
}

/** Handlers that record every call, to show user code does not run. */
export function spyHandlers() {
  const calls: string[] = [];
  const handlers: WebSocketHandlers = {
    onOpen: () => void calls.push('open'),
    onMessage: () => void calls.push('message'),
    onClose: () => void calls.push('close'),
  };
  return { calls, handler: websocket(handlers, { env: {} }) };
}
