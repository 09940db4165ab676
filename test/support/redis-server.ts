// A redis-server of the test's own, on a free port, with its own folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, waitForPort, type Service } from '../../src/local/processes.js';
import { freePort } from '../../src/local/free-port.js';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** The running process (undefined while stopped). */
  readonly service: Service | undefined;
  /** Stops the server (its data kept on disk: append-only file), as an outage. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the data it had. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  close(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'grip-test-redis-'));
  let service: Service | undefined;
  const start = async () => {
    service = startService(
      'redis-server',
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
      join(dir, 'redis.log'),
    );
    await waitForPort(port, service);
  };
  const stop = async () => {
    await service?.stop();
    service = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get service() {
      return service;
    },
    start,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
