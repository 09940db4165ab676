/**
 * Publishing to the real local Pushpin: messages per second through
 * grip-lambda's batch path (many items per control request) against
 * @fanoutio/grip's Publisher (one control request per message), same
 * messages, same proxy, one run. A WebSocket client subscribed to each
 * channel counts what arrived: the control API answering 200 is not
 * delivery (Pushpin drops, without a word, what a connection cannot take).
 */
import { Publisher, WebSocketMessageFormat } from '@fanoutio/grip';
import WebSocket from 'ws';
import { GripPublisher } from '../src/publish/publisher.js';
import { wsMessage } from '../src/publish/formats.js';
import { readGripSettings } from '../src/config.js';

export interface PublishRow {
  readonly name: string;
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly controlRequests: number;
  /** Messages the subscribed client received. */
  readonly delivered: number;
}

/** A client on /subscribe/{channel} (functions/subscribe.ts), once published messages reach it. */
async function subscriber(
  wsUrl: string,
  channel: string,
  probe: (text: string) => Promise<void>,
): Promise<{ count(): number; close(): void }> {
  const ws = new WebSocket(`${wsUrl}/subscribe/${channel}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let probes = 0;
  let counted = 0;
  ws.on('message', (data: Buffer) => {
    if (data.toString('utf8').startsWith('probe')) probes++;
    else counted++;
  });
  // Pushpin subscribes the connection once it has the function's answer to OPEN: probe until one arrives.
  for (let n = 0; probes === 0; n++) {
    if (n > 100) throw new Error(`no probe reached the subscriber of ${channel}`);
    await probe(`probe ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { count: () => counted, close: () => ws.close() };
}

/** Waits until `count()` reaches `expected`, or stops growing for a second. */
async function settled(count: () => number, expected: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  while (count() < expected && Date.now() - since < 1_000) {
    if (count() !== last) {
      last = count();
      since = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return count();
}

export async function measurePublishing(gripUrl: string, wsUrl: string, messages = 5000): Promise<PublishRow[]> {
  const rows: PublishRow[] = [];

  // @fanoutio/grip: one control request per publish; 32 in flight at a time, as a busy function might.
  const grip = new Publisher(gripUrl);
  const gripSubscriber = await subscriber(wsUrl, 'bench-grip', (text) =>
    grip.publishFormats('bench-grip', new WebSocketMessageFormat(text)),
  );
  let started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < messages) {
        const i = next++;
        await grip.publishFormats('bench-grip', new WebSocketMessageFormat(`message ${i}`));
      }
    }),
  );
  let seconds = (performance.now() - started) / 1000;
  const gripDelivered = await settled(gripSubscriber.count, messages);
  gripSubscriber.close();
  rows.push({
    name: '@fanoutio/grip Publisher',
    messages,
    seconds,
    perSecond: messages / seconds,
    controlRequests: messages,
    delivered: gripDelivered,
  });

  // grip-lambda: the same messages published in one tick; coalesced into batches of 500.
  const ours = new GripPublisher(readGripSettings({ GRIP_URL: gripUrl }).clients, { batchSize: 500 });
  const oursSubscriber = await subscriber(wsUrl, 'bench-ours', (text) => ours.publish('bench-ours', wsMessage(text)));
  started = performance.now();
  await Promise.all(Array.from({ length: messages }, (_, i) => ours.publish('bench-ours', wsMessage(`message ${i}`))));
  seconds = (performance.now() - started) / 1000;
  const oursDelivered = await settled(oursSubscriber.count, messages);
  oursSubscriber.close();
  rows.push({
    name: 'grip-lambda batch',
    messages,
    seconds,
    perSecond: messages / seconds,
    controlRequests: Math.ceil(messages / ours.batchSize),
    delivered: oursDelivered,
  });
  return rows;
}
