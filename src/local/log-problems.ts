import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The warning and error lines of the logs under `logDir`: a node's
 * pushpin.log and zurl.log, and each cluster node's in its own folder,
 * each line named by its file. None when there are no logs.
 */
export function proxyLogProblems(logDir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(logDir, { recursive: true, encoding: 'utf8' }).filter((name) => /(^|\/)(pushpin|zurl)\.log$/.test(name));
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const file of files.sort()) {
    let text = '';
    try {
      text = readFileSync(join(logDir, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (/\[(WARN|ERR)/.test(line)) lines.push(`${file}: ${line}`);
  }
  return lines;
}
