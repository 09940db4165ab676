// Run as a child process under --unhandled-rejections=strict by test/unit/pipeline.test.ts:
// an HTTP and a WebSocket function each publish without awaiting, with GRIP_URL
// naming a port nothing listens on. Prints each answer's status, then "alive".
import { getPublisher, http, respond, websocket, wsMessage } from '../../src/index.js';
import { asLambdaEvent, ev, fixtureByFile, loadEvent, readResult, wsEvent } from './lambda-events.js';
import { lambdaContext } from './relay-events.js';

const httpHandler = http(() => {
  void getPublisher().publish('room', wsMessage('from http'));
  return respond(202, 'accepted\n');
});
const wsHandler = websocket({
  onMessage() {
    void getPublisher().publish('room', wsMessage('from websocket'));
  },
});

const httpResult = readResult(await httpHandler(asLambdaEvent(loadEvent('api-gateway-http.json')), lambdaContext(5_000)));
console.log(`http ${httpResult.status} ${httpResult.body.toString('utf8').trim()}`);
const wsResult = readResult(
  await wsHandler(asLambdaEvent(wsEvent(fixtureByFile('api-gateway-http.json'), [ev('TEXT', 'hi')])), lambdaContext(5_000)),
);
console.log(`websocket ${wsResult.status}`);
// A rejection surfacing late would end the process before this line.
await new Promise((resolve) => setTimeout(resolve, 200));
console.log('alive');
