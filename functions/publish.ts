import { FeedUnavailableError, getFeed } from 'grip-lambda/feed';
import { constantTimeEqual, getLogger, http, PublishError, respond, type GripPublisher, type HttpResponse } from 'grip-lambda';
import { nameFromPath, NAME_PATTERN } from './lib/channels.js';
import { publishMessage } from './lib/room.js';

const expected = process.env.PUBLISH_TOKEN ? `Bearer ${process.env.PUBLISH_TOKEN}` : undefined;

/** Compared in constant time, so how long a wrong guess takes tells nothing of the token. */
function authorized(header: string | undefined): boolean {
  return expected === undefined || constantTimeEqual(header ?? '', expected);
}

// The feed publishMessage appends to, when a store is set (REDIS_URL or DYNAMODB_TABLE): made (and connected) now, in Lambda's init.
getFeed();

/** What an Idempotency-Key may be: 1-200 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * POST /publish/{channel} with `{"message": "..."}`: one control request
 * reaches every kind of subscriber of the channel: chat room, HTTP stream,
 * long-poll and SSE. Requires `Authorization: Bearer PUBLISH_TOKEN` when set.
 * With a store set (REDIS_URL or DYNAMODB_TABLE) and it down: 503 with Retry-After, within about a
 * second, and nothing published.
 * With an `Idempotency-Key` header (needs a store: REDIS_URL or DYNAMODB_TABLE), a retry of a POST
 * that was stored and published stores and publishes nothing again and is
 * answered with the same id.
 */
export const handler = http(async (req) => {
  if (!authorized(req.headers.get('authorization'))) {
    return respond(401, 'missing or wrong bearer token\n', { 'WWW-Authenticate': 'Bearer' });
  }
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  const key = req.headers.get('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) return respond(400, 'Idempotency-Key must be 1-200 visible ASCII characters\n');
  // Without a feed there is nowhere to remember the key: refused rather than silently not enforced.
  if (key !== undefined && getFeed() === null)
    return respond(501, 'Idempotency-Key needs message history (REDIS_URL or DYNAMODB_TABLE); nothing was published\n');
  const body = req.json();
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return respond(400, 'body must be JSON {"message": "..."}\n');
  let event;
  try {
    event = await publishMessage(name, { nick: 'publish', text: message }, undefined, 'fail', key);
  } catch (error) {
    // Redis down: nothing was published (a message not kept would be missing from history), so ask for a retry.
    if (error instanceof FeedUnavailableError) return respond(503, 'message history is unavailable; retry later\n', { 'Retry-After': '1' });
    if (error instanceof PublishError) return publishFailed(error, req.publisher);
    throw error;
  }
  return respond(202, { published: true, channel: name, ...(event.type === 'message' && event.id ? { id: event.id } : {}) });
});

/**
 * The answer when the proxies did not take the message (it is then not in
 * the history either), or only some did. The proxy refusing the message itself is the
 * caller's 4xx; the proxy refusing this function's credentials is a 502
 * (the caller can do nothing about it); anything else may pass: 503 with
 * Retry-After, and a retry with the same Idempotency-Key is safe.
 */
function publishFailed(error: PublishError, publisher: GripPublisher): HttpResponse {
  const proxies = publisher.proxyCount;
  if (error.failures.length > 0 && error.failures.length < proxies) {
    getLogger().error({ message: 'publish failed', error: error.message });
    return respond(502, `published through ${proxies - error.failures.length} of ${proxies} proxies only; the message is stored\n`);
  }
  const refusal = error.failures.find(
    (f) => f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429,
  );
  if (error.failures.length === 0 || refusal?.status === 413 || (refusal !== undefined && /too large/i.test(refusal.message))) {
    return respond(413, `the proxy refused the message as too large: ${refusal?.message ?? error.message}\n`);
  }
  if (refusal?.status === 401 || refusal?.status === 403) {
    getLogger().error({ message: "the proxy refused this function's credentials", error: error.message });
    return respond(502, 'the proxy refused to publish (its credentials here are wrong); nothing was published\n');
  }
  if (refusal !== undefined) return respond(400, `the proxy refused the message: ${refusal.status} ${refusal.message}\n`);
  return respond(503, 'the proxy did not take the message; nothing was published, try again\n', { 'Retry-After': '1' });
}
