import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `command` is an executable file on PATH. */
export function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Thrown at start when a program the local stack runs is not installed. */
export class MissingProgramError extends Error {
  override readonly name = 'MissingProgramError';
  constructor(
    readonly programs: readonly string[],
    /** The command that installs them. */
    readonly installCommand: string,
  ) {
    super(`${programs.join(', ')} not found on PATH. Install with: ${installCommand}  (other systems: https://pushpin.org/docs/install/)`);
  }
}

/** Checks that Pushpin, its parts (zurl, condure) and, when asked, redis-server are installed. */
export function checkPrograms(options: { redis: boolean }): void {
  const needed = ['pushpin', 'zurl', 'condure', ...(options.redis ? ['redis-server'] : [])];
  const missing = needed.filter((command) => !onPath(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((command) => (command === 'redis-server' ? 'redis-server' : 'pushpin')))];
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  throw new MissingProgramError(missing, `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`);
}
