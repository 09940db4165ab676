/**
 * Fan-out: N WebSocket clients subscribed to one channel through Pushpin
 * (functions/subscribe.ts); one publish; the time from sending the publish
 * until the last client has the message.
 */
import { WebSocket } from 'ws';
import { GripPublisher } from '../src/publish/publisher.js';
import { wsMessage } from '../src/publish/formats.js';
import { readGripSettings } from '../src/config.js';

export interface FanoutRow {
  readonly clients: number;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly lastMs: number;
  /** Handshakes the proxy refused (502) while the clients connected, each tried again. */
  readonly refusedConnects: number;
}

export async function measureFanout(
  wsUrl: string,
  gripUrl: string,
  clients = 1000,
  rounds = 5,
  /** Called once every client is connected, before the first publish. */
  onConnected?: () => Promise<void>,
): Promise<FanoutRow[]> {
  const channel = `fanout${Date.now()}`;
  const sockets: WebSocket[] = [];
  let retries = 0;
  const connect = async (attempt = 1): Promise<WebSocket> => {
    const socket = new WebSocket(`${wsUrl}/subscribe/${channel}`);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.once('open', () => resolve());
      });
      return socket;
    } catch (error) {
      // A refused handshake (a 502 from a proxy catching its breath) is tried again, and counted.
      if (attempt >= 3) throw error;
      retries++;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      return connect(attempt + 1);
    }
  };
  // Connect in waves so the local function host is not flooded.
  for (let i = 0; i < clients; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, clients - i) }, () => connect()))));
  }

  await onConnected?.();
  // The subscribe control message is applied after the OPEN answer: give Pushpin a moment.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const publisher = new GripPublisher(readGripSettings({ GRIP_URL: gripUrl }).clients);
  const rows: FanoutRow[] = [];
  for (let round = 0; round < rounds; round++) {
    const arrivals: number[] = [];
    const text = `round ${round}`;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fan-out round ${round}: ${arrivals.length}/${clients} arrived in 20 s`)), 20_000);
      for (const socket of sockets) {
        const onMessage = (data: Buffer) => {
          if (data.toString() !== text) return;
          socket.off('message', onMessage);
          arrivals.push(performance.now());
          if (arrivals.length === clients) {
            clearTimeout(timer);
            resolve();
          }
        };
        socket.on('message', onMessage);
      }
    });
    const started = performance.now();
    await publisher.publish(channel, wsMessage(text));
    await done;
    const times = arrivals.map((t) => t - started).sort((a, b) => a - b);
    rows.push({
      clients,
      firstMs: times[0]!,
      medianMs: times[Math.floor(times.length / 2)]!,
      lastMs: times[times.length - 1]!,
      refusedConnects: retries,
    });
  }
  for (const socket of sockets) socket.terminate();
  return rows;
}
