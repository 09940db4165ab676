/**
 * Publishing to the real local Pushpin: messages per second through
 * grip-lambda's batch path (many items per control request) against
 * @fanoutio/grip's Publisher (one control request per message), same
 * messages, same proxy, one run.
 */
import { Publisher, WebSocketMessageFormat } from '@fanoutio/grip';
import { GripPublisher } from '../src/publish/publisher.js';
import { wsMessage } from '../src/publish/formats.js';
import { readGripSettings } from '../src/config.js';

export interface PublishRow {
  readonly name: string;
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly controlRequests: number;
}

export async function measurePublishing(gripUrl: string, messages = 5000): Promise<PublishRow[]> {
  const rows: PublishRow[] = [];

  // @fanoutio/grip: one control request per publish; 32 in flight at a time, as a busy function might.
  const grip = new Publisher(gripUrl);
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
  rows.push({ name: '@fanoutio/grip Publisher', messages, seconds, perSecond: messages / seconds, controlRequests: messages });

  // grip-lambda: the same messages published in one tick; coalesced into batches of 500.
  const ours = new GripPublisher(readGripSettings({ GRIP_URL: gripUrl }).clients, { batchSize: 500 });
  started = performance.now();
  await Promise.all(Array.from({ length: messages }, (_, i) => ours.publish('bench-ours', wsMessage(`message ${i}`))));
  seconds = (performance.now() - started) / 1000;
  rows.push({
    name: 'grip-lambda batch',
    messages,
    seconds,
    perSecond: messages / seconds,
    controlRequests: Math.ceil(messages / ours.batchSize),
  });
  return rows;
}
