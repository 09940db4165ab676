#!/usr/bin/env node
// `grip-lambda dev`: the local stack for the project in the current folder
// (its serverless.yml): Pushpin on --port for clients, its control API on
// --control-port, the functions behind them. One at a time per project.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { banner, formatInvocation, formatUnmatched } from './dev-log.js';
import { canConnect, signalAllServices } from './processes.js';
import { onPath } from './requirements.js';
import type { RunningStack } from './stack.js';

const USAGE = `Usage: grip-lambda dev [options]
       grip-lambda event [options]     a Lambda event for serverless invoke local --data (event --help)
       grip-lambda read                decodes a result piped from serverless invoke local
       grip-lambda proxy-config --origin URL --out DIR [--nodes N]
                                       production Pushpin nodes' config (proxy-config --help)

Runs Pushpin (with zurl), Redis when installed, and the functions of
./serverless.yml (httpApi and http events; TypeScript or JavaScript handlers).

Options:
  --port N            where clients connect (default 7999, or $PORT)
  --control-port N    Pushpin's control API, for publishing (default 5561, or $CONTROL_PORT)
  --no-redis          no Redis, so no message history (default: Redis when redis-server is installed)
  --dynamodb          history and presence in a local DynamoDB (dynalite, from npm) instead of Redis:
                      the table is created, DYNAMODB_TABLE and AWS_ENDPOINT_URL_DYNAMODB set for the functions
  --proxies N         N Pushpin nodes behind haproxy on --port, as a production proxy tier (default 1)
  --config FILE       the service file (default serverless.yml)
  -h, --help          this text
`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function port(value: string | undefined, fallback: string | undefined, name: string, defaultPort: number): number {
  const text = value ?? fallback;
  if (text === undefined || text === '') return defaultPort;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name} must be a port number (1-65535), not ${JSON.stringify(text)}`);
  return n;
}

/** Handlers written in TypeScript load through tsx, registered in this process for import() and require(). */
async function registerTypeScript(): Promise<void> {
  if (process.execArgv.some((arg) => /\btsx\b/.test(arg))) return; // already under `node --import tsx`
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
}

export async function dev(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'control-port': { type: 'string' },
        'no-redis': { type: 'boolean', default: false },
        dynamodb: { type: 'boolean', default: false },
        proxies: { type: 'string', default: '1' },
        config: { type: 'string', default: 'serverless.yml' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  const root = process.cwd();
  const config = parsed.values.config!;
  if (!existsSync(resolve(root, config))) fail(`No ${config} in ${root}: run grip-lambda dev in the folder of your service.`);
  const httpPort = port(parsed.values.port, process.env.PORT, '--port', 7999);
  const proxies = Number(parsed.values.proxies);
  if (!Number.isInteger(proxies) || proxies < 1 || proxies > 16)
    fail(`--proxies must be a whole number from 1 to 16, not ${JSON.stringify(parsed.values.proxies)}`);
  const controlPort = port(parsed.values['control-port'], process.env.CONTROL_PORT, '--control-port', 5561);
  const stateDir = join(root, '.grip-lambda');
  const lockFile = join(stateDir, 'stack.pid');
  const logDir = join(stateDir, 'log');

  await mkdir(stateDir, { recursive: true });
  // Lock and logs are this machine's: the folder keeps itself out of git.
  await writeFile(join(stateDir, '.gitignore'), '*\n');
  const previous = Number(await readFile(lockFile, 'utf8').catch(() => ''));
  if (previous > 0 && previous !== process.pid && isAlive(previous)) {
    fail(
      `The local stack is already running (pid ${previous}) at http://localhost:${httpPort}/\n` +
        `Stop it with Ctrl-C in its terminal (or \`kill ${previous}\`) before starting another.`,
    );
  }
  for (const [p, what, flag] of [
    [httpPort, 'Pushpin (clients)', '--port'],
    [controlPort, "Pushpin's control API", '--control-port'],
  ] as const) {
    if (await canConnect(p))
      fail(`Port ${p}, for ${what}, is taken by another program. Stop it, or choose another: grip-lambda dev ${flag} NNNN`);
  }
  const dynamodb = parsed.values.dynamodb === true;
  const redis = !dynamodb && !parsed.values['no-redis'] && onPath('redis-server');
  await writeFile(lockFile, String(process.pid));

  let stack: RunningStack | undefined;
  let stopping: Promise<void> | undefined;
  let stopAsked = 0;
  const stop = (code: number) => {
    if (stopping !== undefined) {
      // A second Ctrl-C while stopping: no more waiting. (Within a second it is the same
      // Ctrl-C again, forwarded by a wrapper such as `npm start` or `serverless grip dev`.)
      if (Date.now() - stopAsked < 1000) return;
      signalAllServices('SIGKILL');
      process.exit(code || 130);
    }
    stopAsked = Date.now();
    console.log('\nStopping...');
    stopping = (async () => {
      await stack?.stop().catch((error: unknown) => console.error(`[grip-lambda] while stopping: ${(error as Error).message}`));
      await rm(lockFile, { force: true });
      process.exit(code);
    })();
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('SIGHUP', () => stop(0));
  // An error nothing caught (in a function's background work, or the host) stops everything too.
  process.on('uncaughtException', (error) => {
    console.error(`[grip-lambda] uncaught error, stopping: ${error.stack ?? String(error)}`);
    stop(1);
  });
  process.on('unhandledRejection', (reason) => {
    console.error(`[grip-lambda] unhandled rejection, stopping: ${(reason as Error)?.stack ?? String(reason)}`);
    stop(1);
  });

  await registerTypeScript();
  const { startStack } = await import('./stack.js');
  try {
    stack = await startStack({
      root,
      serverlessFile: config,
      httpPort,
      controlPort,
      proxies,
      logDir,
      redis,
      dynamodb,
      onInvocation: (log) => console.log(formatInvocation(log)),
      onUnmatched: (request) => console.log(formatUnmatched(request)),
      onReaped: (reaped) =>
        console.log(
          `[grip-lambda] cleaned up after a stack that ended without stopping (pid ${reaped.ownerPid}): stopped ${reaped.killed.map((p) => `${p.name} (${p.pid})`).join(', ') || 'nothing still running'}, removed ${reaped.runDir}`,
        ),
    });
  } catch (error) {
    await rm(lockFile, { force: true });
    fail(`Could not start the local stack: ${(error as Error).message}`);
  }
  if (stopping !== undefined) return; // Ctrl-C during the start
  const redisNote = parsed.values['no-redis'] ? 'off (--no-redis)' : 'off (redis-server not installed)';
  console.log(banner(stack, httpPort, relative(root, logDir) || logDir, redisNote));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'dev') return dev(rest);
  if (command === 'proxy-config') {
    const { proxyConfigCommand } = await import('./proxy-config-command.js');
    process.exitCode = await proxyConfigCommand(rest);
    return;
  }
  if (command === 'event' || command === 'read') {
    const { EVENT_USAGE, eventCommand, readCommand } = await import('../testing/cli.js');
    if (rest.includes('--help') || rest.includes('-h')) return void console.log(EVENT_USAGE);
    try {
      console.log(command === 'event' ? eventCommand(rest) : readCommand(await readStdin()));
    } catch (error) {
      fail(`grip-lambda ${command}: ${(error as Error).message}`);
    }
    return;
  }
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return;
  }
  fail(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
}

await main(process.argv.slice(2));
