/**
 * `npm run soak`: chat clients through the real local stack for a while,
 * then checks that nothing was lost, duplicated or reordered, and that the
 * function host's memory stayed bounded.
 *
 *   npm run soak                                   # 500 clients in rooms of 10, 200 messages each, >= 60 s, <= 200 messages/s (so ~500 s)
 *   npm run soak -- --clients 100 --messages 50 --seconds 20
 *   npm run soak -- --room-size 50                 # fan-out 50: every message reaches 49 others
 *   npm run soak -- --max-rate 0                   # no cap: 500 x 200 in 60 s is 1,667 messages/s
 *   npm run soak -- --redis                        # chat with Redis history (messages carry ids)
 *   npm run soak -- --log-dir /tmp/soak-logs       # keep Pushpin's and zurl's logs there
 *   npm run soak -- --pushpin-log-level 3          # Pushpin debug logs, to see why it dropped something
 *   npm run soak -- --message-rate 100000          # Pushpin with a message_rate (25 ms batches; the local stack sets none)
 *
 * --max-rate caps the messages per second of all clients together, so that
 * sending lasts longer than --seconds when needed: a soak is only a check
 * below the load the machine can carry. On a 2-vCPU machine Pushpin and zurl
 * carry 200-300 messages/s with fan-out 10; above that Pushpin sheds load
 * (it fails WebSocket-over-HTTP connections when more than 100 requests to
 * zurl are pending, drops published messages to clients without write
 * credits, and condure drops clients with over 100 queued messages), which
 * the soak reports as lost messages and connections closed with 1006. The
 * default, 200, leaves room for the stalls of a shared machine.
 *
 * The stack runs in a child process (test/fuzz/soak-host.ts) started with
 * --expose-gc, so the memory figures are the function host's alone, after a
 * full GC. Exits 1 when any check fails.
 */
import { parseArgs } from 'node:util';
import { formatSoakReport, runSoak } from '../test/fuzz/soak.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    messages: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    'room-size': { type: 'string', default: '10' },
    'max-rate': { type: 'string', default: '200' },
    redis: { type: 'boolean', default: false },
    'log-dir': { type: 'string' },
    'pushpin-log-level': { type: 'string' },
    'message-rate': { type: 'string' },
  },
});

function positive(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return n;
}

const report = await runSoak({
  clients: Math.floor(positive('clients')),
  messages: Math.floor(positive('messages')),
  seconds: positive('seconds'),
  roomSize: Math.floor(positive('room-size')),
  maxRate: Number(values['max-rate']) || 0,
  redis: values.redis === true,
  ...(values['log-dir'] !== undefined ? { logDir: values['log-dir'] } : {}),
  ...(values['pushpin-log-level'] !== undefined ? { pushpinLogLevel: Number(values['pushpin-log-level']) } : {}),
  ...(values['message-rate'] !== undefined ? { messageRate: values['message-rate'] === 'none' ? null : positive('message-rate') } : {}),
  log: (line) => console.log(line),
});
console.log(formatSoakReport(report));
process.exit(report.failures.length === 0 ? 0 : 1);
