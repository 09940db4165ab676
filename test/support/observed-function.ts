// Run as a child process by test/unit/observe-lines.test.ts, with Lambda's
// environment (AWS_LAMBDA_FUNCTION_NAME, and AWS_LAMBDA_LOG_LEVEL or
// GRIP_METRICS as the test sets them): a WebSocket function serving a
// connection's life (OPEN, a message that publishes, one whose handler
// throws, a message that publishes through a proxy answering 503 once,
// CLOSE) and an unsigned request, against a control API of its own. What
// the toolkit writes goes to standard output, as in Lambda; `#done` ends it.
// argv[2] = 'powertools' hands the function a Powertools Logger.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { websocket, wsMessage, type GripLogger } from '../../src/index.js';
import { lambdaContext } from '../../src/local/lambda-context.js';
import { closeEvent, openEvent, textEvent, webSocketRequest } from '../../src/testing/events.js';

const KEY = 'observed-key';
let failedOnce = false;
const control = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => {
    if (body.includes('"fail-room"')) return void res.writeHead(400).end('refused\n');
    if (body.includes('"retry-room"') && !failedOnce) {
      failedOnce = true;
      return void res.writeHead(503).end('busy\n');
    }
    res.writeHead(200).end('Published\n');
  });
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const controlPort = (control.address() as AddressInfo).port;
process.env.GRIP_URL = `http://127.0.0.1:${controlPort}?iss=pushpin&key=${KEY}`;

const logger: GripLogger | undefined = process.argv[2] === 'powertools' ? new Logger({ serviceName: 'observed' }) : undefined;
const handler = websocket(
  {
    onOpen(ctx) {
      ctx.subscribe('room');
    },
    async onMessage(ctx, message) {
      if (message.type !== 'text') return;
      if (message.data === 'boom') throw new Error('boom in onMessage');
      if (message.data === 'retry') {
        await ctx.publisher.publish('retry-room', wsMessage('again'));
        return;
      }
      ctx.send(message.data);
      await ctx.publisher.publish('room', wsMessage(message.data));
      await ctx.publisher.publish('fail-room', wsMessage(message.data)).catch(() => undefined);
    },
  },
  logger !== undefined ? { logger } : {},
);

const connectionId = 'conn-observed-1';
const signed = { key: KEY };
const calls = [
  webSocketRequest({ connectionId, events: [openEvent()], sign: signed }),
  webSocketRequest({ connectionId, events: [textEvent('hello')], sign: signed }),
  webSocketRequest({ connectionId, events: [textEvent('boom')], sign: signed }),
  webSocketRequest({ connectionId, events: [textEvent('retry')], sign: signed }),
  webSocketRequest({ connectionId, events: [closeEvent(1000)], sign: signed }),
  webSocketRequest({ connectionId: 'conn-unsigned', events: [openEvent()] }),
];
for (const [i, event] of calls.entries()) {
  const context = lambdaContext(process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'observed', Date.now() + 10_000);
  const result = await handler(event, { ...context, awsRequestId: `request-${i + 1}` });
  process.stdout.write(`#result ${i + 1} ${result.statusCode}\n`);
}
control.close();
process.stdout.write('#done\n');
