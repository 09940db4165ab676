// A command run as from a terminal: its own process group (SIGINT to the
// group is Ctrl-C), output captured, its exit awaited; and the processes it
// started, found by ancestry and recorded by pid and start time.
import { spawn, type ChildProcess } from 'node:child_process';
import { descendantsOf, isRunning, type ProcessRecord } from '../../../src/local/process-tree.js';

export interface CliRun {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  /** When it was started, for timing (performance.now()). */
  readonly startedAt: number;
}

export function startCli(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliRun {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: CliRun = {
    child,
    stdout: '',
    stderr: '',
    exit: undefined,
    startedAt: performance.now(),
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        run.exit = { code, signal };
        resolve();
      });
    }),
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return run;
}

export const output = (run: CliRun) =>
  `stdout: ${JSON.stringify(run.stdout.slice(-2000))}\nstderr: ${JSON.stringify(run.stderr.slice(-2000))}`;

/** The live processes started by the run (any depth), with their command lines. */
export function processesOf(run: CliRun): ProcessRecord[] {
  return run.child.pid === undefined ? [] : descendantsOf(run.child.pid);
}

/** Sends a signal to the run's process group (SIGINT is Ctrl-C in a terminal). */
export function signalGroup(run: CliRun, signal: NodeJS.Signals): void {
  if (run.exit !== undefined || run.child.pid === undefined) return;
  try {
    process.kill(-run.child.pid, signal);
  } catch {
    // gone
  }
}

/** What is still running of the processes recorded. */
export const stillRunning = (records: readonly ProcessRecord[]) => records.filter(isRunning);
