import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a generated Markdown file and formats it with the project's Biome,
 * so that a fresh `npm run bench` leaves `npm test`'s lint step passing.
 */
export function writeMarkdown(file: string, text: string): void {
  writeFileSync(file, text);
  execFileSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
}
