import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process and all its descendants, read from Linux's /proc. Pushpin's
 * runner puts condure, pushpin-proxy and pushpin-handler in process groups
 * of their own, so a signal to its group does not reach them.
 */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the field after the state, after the command in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const walk = (pid: number): void => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  for (const pid of roots) walk(pid);
  return tree;
}

/** Resident memory of these processes and their descendants, MiB. */
export function residentMiB(roots: readonly number[]): number {
  let kib = 0;
  for (const pid of processTree(roots)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}
