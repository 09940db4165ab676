import { readFileSync } from 'node:fs';
import type { ProcessRecord } from './process-tree.js';

/** Resident memory of these processes (each counted once), MiB, from Linux's /proc. */
export function residentMiB(processes: readonly ProcessRecord[]): number {
  let kib = 0;
  for (const pid of new Set(processes.map((p) => p.pid))) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}
