import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, processRecord, signalRecorded, type ProcessRecord } from './process-tree.js';

/**
 * What each running stack started, on disk, so that what a SIGKILLed stack
 * left behind (no code of its own ran) is found and stopped by the next
 * start. Processes are matched by pid and start time, never by name: other
 * programs' Pushpins on the same machine are left alone.
 */
interface StackRecord {
  readonly owner: ProcessRecord;
  readonly runDir: string;
  readonly processes: readonly ProcessRecord[];
}

const registryDir = () => join(tmpdir(), 'grip-lambda-stacks');

export class StackRegistration {
  readonly #file: string;
  readonly #runDir: string;
  readonly #owner: ProcessRecord | undefined = processRecord(process.pid);

  constructor(runDir: string) {
    this.#runDir = runDir;
    this.#file = join(registryDir(), `${process.pid}-${runDir.replace(/[^\w-]/g, '_')}.json`);
  }

  /** Writes down the processes the stack runs now. */
  record(processes: readonly ProcessRecord[]): void {
    if (this.#owner === undefined) return; // no /proc: nothing to match by later
    const record: StackRecord = { owner: this.#owner, runDir: this.#runDir, processes };
    mkdirSync(registryDir(), { recursive: true });
    writeFileSync(this.#file, JSON.stringify(record));
  }

  remove(): void {
    rmSync(this.#file, { force: true });
  }
}

/** What an earlier stack whose process is gone left behind, stopped and removed. */
export interface ReapedStack {
  readonly ownerPid: number;
  readonly runDir: string;
  /** Processes still running, now killed. */
  readonly killed: readonly ProcessRecord[];
}

/** Kills the processes of stacks whose owner died without stopping them, and removes their temp folders. */
export function reapAbandonedStacks(): ReapedStack[] {
  let files: string[];
  try {
    files = readdirSync(registryDir()).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const reaped: ReapedStack[] = [];
  for (const name of files) {
    const file = join(registryDir(), name);
    let record: StackRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as StackRecord;
    } catch {
      continue; // being written, or not ours
    }
    if (isRunning(record.owner)) continue;
    const killed = record.processes.filter(isRunning);
    for (const process of killed) signalRecorded(process, 'SIGKILL');
    rmSync(record.runDir, { recursive: true, force: true });
    rmSync(file, { force: true });
    reaped.push({ ownerPid: record.owner.pid, runDir: record.runDir, killed });
  }
  return reaped;
}
