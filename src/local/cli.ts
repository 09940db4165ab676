import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InvocationLog } from './function-host.js';
import { spawnSync } from 'node:child_process';
import { canConnect } from './processes.js';
import { startStack } from './stack.js';

/**
 * The local stack for `npm start`: Pushpin on :7999 (clients), its control
 * API on :5561, the functions behind it. One at a time per project.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HTTP_PORT = Number(process.env.PORT ?? 7999);
const CONTROL_PORT = Number(process.env.CONTROL_PORT ?? 5561);
const lockFile = join(root, '.local', 'stack.pid');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function formatLog(log: InvocationLog): string {
  const events = (list: readonly string[]) => (list.length === 0 ? '-' : list.join(','));
  return [
    new Date().toISOString().slice(11, 23),
    log.functionName.padEnd(8),
    `${log.method} ${log.path}`,
    log.status,
    log.connectionId !== undefined ? `conn=${log.connectionId.slice(0, 8)}` : '',
    log.eventsIn.length + log.eventsOut.length > 0 ? `in=${events(log.eventsIn)} out=${events(log.eventsOut)}` : '',
    `${log.durationMs.toFixed(1)}ms`,
  ]
    .filter((part) => part !== '')
    .join(' ');
}

async function main(): Promise<void> {
  await mkdir(join(root, '.local'), { recursive: true });
  const previous = Number(await readFile(lockFile, 'utf8').catch(() => ''));
  if (previous > 0 && previous !== process.pid && isAlive(previous)) {
    console.error(`The local stack is already running (pid ${previous}) at http://localhost:${HTTP_PORT}/`);
    console.error('Stop it with Ctrl-C in its terminal (or `kill ' + previous + '`) before starting another.');
    process.exit(1);
  }
  for (const [port, what, variable] of [
    [HTTP_PORT, 'Pushpin (clients)', 'PORT'],
    [CONTROL_PORT, "Pushpin's control API", 'CONTROL_PORT'],
  ] as const) {
    if (await canConnect(port)) {
      console.error(`Port ${port}, for ${what}, is taken by another program. Stop it, or choose another: ${variable}=NNNN npm start`);
      process.exit(1);
    }
  }
  await writeFile(lockFile, String(process.pid));
  const logDir = join(root, '.local', 'log');
  const redis = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
  const stack = await startStack({
    root,
    httpPort: HTTP_PORT,
    controlPort: CONTROL_PORT,
    logDir,
    redis,
    onInvocation: (log) => console.log(formatLog(log)),
  }).catch(async (error: unknown) => {
    await rm(lockFile, { force: true });
    console.error(`Could not start the local stack: ${(error as Error).message}`);
    console.error(`Pushpin and zurl logs: ${logDir}`);
    process.exit(1);
  });
  console.log('');
  console.log(`  Chat page:      http://localhost:${HTTP_PORT}/`);
  console.log(`  WebSocket echo: ws://localhost:${HTTP_PORT}/echo`);
  console.log(`  Publish:        curl -d '{"message":"hi"}' http://localhost:${HTTP_PORT}/publish/lobby`);
  console.log(`  Streams:        curl -N http://localhost:${HTTP_PORT}/stream/lobby  (also /sse/lobby, /poll/lobby)`);
  console.log(`  Control API:    ${stack.controlUrl}   logs: ${logDir}`);
  console.log(`  History:        ${stack.redisUrl !== undefined ? `Redis at ${stack.redisUrl}` : 'off (redis-server not installed)'}`);
  console.log('  Ctrl-C stops everything.');
  console.log('');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping...');
    await stack.stop();
    await rm(lockFile, { force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

await main();
