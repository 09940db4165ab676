import { readdirSync, readFileSync } from 'node:fs';

/** A process as /proc shows it; `startTime` (clock ticks since boot) tells a reused pid from the original. */
export interface ProcessRecord {
  readonly pid: number;
  readonly startTime: number;
  readonly name: string;
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly startTime: number;
  readonly name: string;
  readonly zombie: boolean;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The name is in parentheses and may itself contain spaces or ')'.
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return {
      pid,
      name: text.slice(open + 1, close),
      zombie: fields[0] === 'Z' || fields[0] === 'X',
      ppid: Number(fields[1]),
      startTime: Number(fields[19]),
    };
  } catch {
    return undefined; // gone, or no /proc (not Linux)
  }
}

/** The record of a live process, or undefined when it is gone (zombies count as gone). */
export function processRecord(pid: number): ProcessRecord | undefined {
  const stat = readStat(pid);
  return stat === undefined || stat.zombie ? undefined : { pid, startTime: stat.startTime, name: stat.name };
}

/** Whether the process recorded is still running (same pid and start time). */
export function isRunning(record: ProcessRecord): boolean {
  const now = readStat(record.pid);
  return now !== undefined && !now.zombie && now.startTime === record.startTime;
}

/**
 * Every live descendant of `pid`. Pushpin starts condure, pushpin-proxy and
 * pushpin-handler each in a process group of its own, so signalling
 * Pushpin's group does not reach them: they have to be found by ancestry.
 */
export function descendantsOf(pid: number): ProcessRecord[] {
  let stats: ProcStat[];
  try {
    stats = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map((entry) => readStat(Number(entry)))
      .filter((stat): stat is ProcStat => stat !== undefined);
  } catch {
    return [];
  }
  const found = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of stats) {
      if (!found.has(stat.pid) && found.has(stat.ppid)) {
        found.add(stat.pid);
        grew = true;
      }
    }
  }
  return stats
    .filter((stat) => stat.pid !== pid && found.has(stat.pid) && !stat.zombie)
    .map(({ pid: p, startTime, name }) => ({ pid: p, startTime, name }));
}

/** Signals a recorded process and its process group, if it is still the process recorded. */
export function signalRecorded(record: ProcessRecord, signal: NodeJS.Signals): void {
  if (!isRunning(record)) return;
  for (const target of [-record.pid, record.pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // not a group leader, or gone
    }
  }
}
