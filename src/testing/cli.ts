import { parseArgs } from 'node:util';
import {
  binaryEvent,
  closeEvent,
  disconnectEvent,
  openEvent,
  pingEvent,
  textEvent,
  webSocketRequest,
  type FrontDoorKind,
} from './events.js';
import { readWebSocketResult } from './results.js';
import type { WebSocketEvent } from '../protocol/events.js';

const FRONT_DOORS: readonly FrontDoorKind[] = ['http-api', 'rest-api', 'rest-api-text', 'function-url', 'alb', 'alb-multi-value'];

export const EVENT_USAGE = `Usage: grip-lambda event [options]   prints a Lambda event (JSON) carrying a WebSocket-over-HTTP request

  --path P            request path (default /)
  --front-door F      ${FRONT_DOORS.join(' | ')} (default http-api)
  --open              an OPEN (the default when no other event is given)
  --text S            a TEXT message (repeatable)
  --binary HEX        a BINARY message, as hex (repeatable)
  --ping              a PING
  --close CODE        the client closing with CODE
  --disconnect        the connection gone
  --connection-id ID  (default random)
  --meta NAME=VALUE   connection meta, as Meta-* headers (repeatable)
  --query Q           query string without ?
  --sign KEY          sign with a Grip-Sig, as Pushpin does with sig_key KEY (iss pushpin)

  serverless invoke local -f echo --data "$(npx grip-lambda event --path /echo --text hi)" | npx grip-lambda read
`;

/** `grip-lambda event`: the event, in the order the options were given. */
export function eventCommand(argv: readonly string[]): string {
  const { values, tokens } = parseArgs({
    args: [...argv],
    options: {
      path: { type: 'string' },
      'front-door': { type: 'string' },
      open: { type: 'boolean' },
      text: { type: 'string', multiple: true },
      binary: { type: 'string', multiple: true },
      ping: { type: 'boolean' },
      close: { type: 'string' },
      disconnect: { type: 'boolean' },
      'connection-id': { type: 'string' },
      meta: { type: 'string', multiple: true },
      query: { type: 'string' },
      sign: { type: 'string' },
    },
    strict: true,
    tokens: true,
  });
  const frontDoor = (values['front-door'] ?? 'http-api') as FrontDoorKind;
  if (!FRONT_DOORS.includes(frontDoor)) throw new Error(`--front-door must be one of ${FRONT_DOORS.join(', ')}, not ${frontDoor}`);
  const events: WebSocketEvent[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const value = token.value ?? '';
    if (token.name === 'open') events.push(openEvent());
    else if (token.name === 'text') events.push(textEvent(value));
    else if (token.name === 'binary') {
      if (!/^([0-9a-f]{2})*$/i.test(value)) throw new Error(`--binary takes hex bytes (e.g. 00ff10), not ${value}`);
      events.push(binaryEvent(Buffer.from(value, 'hex')));
    } else if (token.name === 'ping') events.push(pingEvent());
    else if (token.name === 'close') {
      const code = Number(value);
      if (!Number.isInteger(code)) throw new Error(`--close takes a close code, not ${value}`);
      events.push(closeEvent(code));
    } else if (token.name === 'disconnect') events.push(disconnectEvent());
  }
  const meta: Record<string, string> = {};
  for (const pair of values.meta ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--meta takes NAME=VALUE, not ${pair}`);
    meta[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const event = webSocketRequest({
    frontDoor,
    events: events.length > 0 ? events : [openEvent()],
    meta,
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(values.query !== undefined ? { query: values.query } : {}),
    ...(values['connection-id'] !== undefined ? { connectionId: values['connection-id'] } : {}),
    ...(values.sign !== undefined ? { sign: { key: values.sign } } : {}),
  });
  return JSON.stringify(event);
}

/**
 * `grip-lambda read`: the result `serverless invoke local` printed, decoded.
 * The JSON is the last top-level object in the output (log lines may come first).
 */
export function readCommand(output: string): string {
  const start = output.lastIndexOf('\n{') >= 0 ? output.lastIndexOf('\n{') + 1 : output.indexOf('{');
  if (start < 0) throw new Error('no JSON result in the input (pipe `serverless invoke local` into grip-lambda read)');
  let result: unknown;
  try {
    result = JSON.parse(output.slice(start));
  } catch (error) {
    throw new Error(`the input does not end with a JSON result: ${(error as Error).message}`);
  }
  const view = readWebSocketResult(result);
  const lines = [`status ${view.status}${view.accepted ? ' (accepted)' : ''}${view.protocol ? ` protocol ${view.protocol}` : ''}`];
  for (const message of view.messages) {
    lines.push(message.type === 'text' ? `text   ${JSON.stringify(message.data)}` : `binary ${Buffer.from(message.data).toString('hex')}`);
  }
  for (const channel of view.subscribed) lines.push(`subscribe   ${channel}`);
  for (const channel of view.ownSubscribed) lines.push(`subscribe   ${channel} (the library's own)`);
  for (const channel of view.unsubscribed) lines.push(`unsubscribe ${channel}`);
  for (const [name, value] of Object.entries(view.meta)) lines.push(`meta   ${name}=${value ?? '(deleted)'}`);
  for (const message of view.control)
    if (message.type === 'keep-alive' || message.type === 'detach') lines.push(`control ${JSON.stringify(message)}`);
  if (view.close !== undefined) lines.push(`close  ${view.close.code}${view.close.reason ? ` ${JSON.stringify(view.close.reason)}` : ''}`);
  if (view.text !== '') lines.push(`body   ${JSON.stringify(view.text)}`);
  return lines.join('\n');
}
