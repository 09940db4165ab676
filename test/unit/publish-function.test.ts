// functions/publish.ts without Redis, against a control endpoint that answers
// as a refusing proxy would: each refusal gets the answer the caller can act
// on (4xx for the message, 502 for this function's credentials, 503 to retry),
// never a 500.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LambdaHandler } from '../../src/index.js';
import { asLambdaEvent, loadEvent, readResult, setBody, setHeader } from '../support/lambda-events.js';
import { lambdaContext } from '../support/relay-events.js';

let answer: { status: number; body: string } = { status: 200, body: 'Published\n' };
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.body));
});
let handler: LambdaHandler;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Read by the function when it is loaded, as in a container's init.
  process.env.GRIP_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  delete process.env.REDIS_URL;
  delete process.env.PUBLISH_TOKEN;
  ({ handler } = await import('../../functions/publish.js'));
});
after(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

async function post(headers: Record<string, string> = {}, message = 'hi') {
  const event = setBody(loadEvent('api-gateway-http.json'), JSON.stringify({ message }));
  event.requestContext.http.method = 'POST';
  event.rawPath = '/publish/lobby';
  event.pathParameters = { channel: 'lobby' };
  for (const [name, value] of Object.entries(headers)) setHeader(event, name, value);
  const result = readResult(await handler(asLambdaEvent(event), lambdaContext(2_000, 'publish')));
  return { status: result.status, text: result.body.toString('utf8'), headers: result.headers };
}

describe('POST /publish/{channel} when the proxy refuses', () => {
  test('published: 202', async () => {
    answer = { status: 200, body: 'Published\n' };
    assert.equal((await post()).status, 202);
  });

  test("without a feed the largest plain-ASCII message is 333,233 characters (README's figure); one more is 413, and the proxy is not asked", async () => {
    answer = { status: 200, body: 'Published\n' };
    assert.equal((await post({}, 'x'.repeat(333_233))).status, 202);
    answer = { status: 500, body: 'must not be asked\n' };
    const reply = await post({}, 'x'.repeat(333_234));
    assert.equal(reply.status, 413, reply.text);
  });

  test('the proxy refuses the message as too large (a proxy with a smaller body limit): 413', async () => {
    answer = { status: 400, body: 'Request body too large.\n' };
    const reply = await post();
    assert.equal(reply.status, 413, reply.text);
    assert.match(reply.text, /too large/);
  });

  test('the proxy refuses the message for another reason: 400 with its reason', async () => {
    answer = { status: 400, body: 'Invalid format.\n' };
    const reply = await post();
    assert.equal(reply.status, 400, reply.text);
    assert.match(reply.text, /the proxy refused the message: 400 Invalid format/);
  });

  test("the proxy refuses this function's credentials: 502, not the caller's fault", async () => {
    answer = { status: 403, body: 'Forbidden\n' };
    assert.equal((await post()).status, 502);
  });

  test('the proxy fails (5xx) until the deadline: 503 with Retry-After', async () => {
    answer = { status: 500, body: 'Internal Server Error\n' };
    const reply = await post();
    assert.equal(reply.status, 503, reply.text);
    assert.equal(reply.headers.get('retry-after'), '1');
  });

  test('an Idempotency-Key without Redis: 501, nothing published (the key could not be kept)', async () => {
    answer = { status: 200, body: 'Published\n' };
    const reply = await post({ 'Idempotency-Key': 'k1' });
    assert.equal(reply.status, 501, reply.text);
  });
});
