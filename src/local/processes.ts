import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';

/** A child process in its own process group, so stopping it stops what it started. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<Service>();

// If the process exits without stopping its services (a crash, process.exit),
// take the process groups down with it.
process.on('exit', () => {
  for (const service of running) killGroup(service.child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function startService(name: string, command: string, args: readonly string[], logFile: string): Service {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => log.write(`[grip-lambda] could not start ${command}: ${error.message}\n`));
  const service: Service = {
    name,
    child,
    async stop() {
      running.delete(service);
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
  running.add(service);
  return service;
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, service: Service, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with code ${service.child.exitCode} before listening on port ${port}`);
    }
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`${service.name} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
