import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { descendantsOf, isRunning, processRecord, signalRecorded, type ProcessRecord } from './process-tree.js';

/** A child process in its own process group, with what it started, so stopping it stops them all. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** Set when the command could not be run at all (not found, not executable). */
  readonly spawnError: Error | undefined;
  /** The service and every process it has started, as last recorded. */
  processes(): readonly ProcessRecord[];
  /** Records the processes the service has started so far (Pushpin's condure, proxy and handler). */
  recordDescendants(): readonly ProcessRecord[];
  stop(): Promise<void>;
}

const running = new Set<Service>();
const trackers: (() => void)[] = [];
function updateSignalTracking(): void {
  for (const track of trackers) track();
}

const exitCleanups = new Set<() => void>();

/** Runs `cleanup` (synchronous: removing a temp folder) if the process ends without stopping its services. */
export function onAbruptExit(cleanup: () => void): () => void {
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/** Sends `signal` to every process of every service still running, without waiting (safe in 'exit'). */
export function signalAllServices(signal: NodeJS.Signals): void {
  for (const service of running) for (const record of service.processes()) signalRecorded(record, signal);
}

function abruptExit(): void {
  signalAllServices('SIGTERM');
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the next start reaps what is left
    }
  }
}

// A process that exits without stopping its services (a crash, process.exit)
// takes them down with it: SIGTERM lets Pushpin remove its sockets.
process.on('exit', abruptExit);

// Killed by a signal, Node does not run 'exit' handlers. When nobody else
// handles SIGINT/SIGTERM (a test run under Ctrl-C), stop the services, then
// die of the same signal as the process would have.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    if (process.listenerCount(signal) > 1) return; // the program handles it (e.g. the dev CLI stops the stack itself)
    abruptExit();
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  };
  const track = () => {
    // Listen only while services run, so an idle import changes nothing.
    if (running.size > 0 && !process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
    if (running.size === 0) process.removeListener(signal, onSignal);
  };
  trackers.push(track);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function startService(name: string, command: string, args: readonly string[], logFile: string): Service {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      log.write(`[grip-lambda] could not start ${command}: ${error.message}\n`);
      resolve();
    });
  });
  const own = child.pid !== undefined ? processRecord(child.pid) : undefined;
  let descendants: ProcessRecord[] = [];
  const service: Service = {
    name,
    child,
    get spawnError() {
      return spawnError;
    },
    processes: () => [...(own !== undefined ? [own] : []), ...descendants],
    recordDescendants() {
      if (child.pid === undefined) return [];
      const now = descendantsOf(child.pid);
      const known = new Set(descendants.map((d) => `${d.pid}:${d.startTime}`));
      descendants = [...descendants.filter(isRunning), ...now.filter((d) => !known.has(`${d.pid}:${d.startTime}`))];
      return descendants;
    },
    async stop() {
      service.recordDescendants();
      for (const record of service.processes()) signalRecorded(record, 'SIGTERM');
      const deadline = Date.now() + 3000;
      while (service.processes().some(isRunning) && Date.now() < deadline) await sleep(25);
      for (const record of service.processes()) signalRecorded(record, 'SIGKILL');
      await exited;
      while (descendants.some(isRunning)) await sleep(10);
      running.delete(service);
      updateSignalTracking();
      log.end();
    },
  };
  running.add(service);
  updateSignalTracking();
  return service;
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, service: Service, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.spawnError !== undefined) throw new Error(`could not run ${service.name}: ${service.spawnError.message}`);
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with code ${service.child.exitCode} before listening on port ${port}`);
    }
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`${service.name} did not listen on port ${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
