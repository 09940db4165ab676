// One warm Lambda container, as a worker thread: it loads a bundled
// function once (its init: module scope runs, the store connects), then
// serves the requests it is sent one at a time, as Lambda sends a
// container one request at a time. Plain JavaScript: a worker loads the
// bundle as Lambda's runtime does, with nothing else in between.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const { bundle, functionName } = workerData;
const { handler } = createRequire(import.meta.url)(bundle);

/** The Context Lambda passes: what the toolkit reads of it. */
function context() {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort.on('message', async ({ events }) => {
  const answers = [];
  for (const event of events) {
    try {
      const result = await handler(event, context());
      answers.push({
        status: result.statusCode,
        body: result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body,
      });
    } catch (error) {
      answers.push({ status: 0, body: String(error?.stack ?? error) });
    }
  }
  parentPort.postMessage({ answers });
});
parentPort.postMessage({ loaded: true });
