#!/usr/bin/env node
// `npm start`: makes sure what the local stack needs is installed, then runs
// `grip-lambda dev` for this repository's serverless.yml.
// Plain JavaScript, so that it runs before `npm install` has.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('[start] installing npm packages (npm ci)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

// Pushpin (with zurl) is required; redis-server is used for message history when present.
const missing = [];
if (!has('pushpin') || !has('zurl')) missing.push('pushpin');
if (!has('redis-server')) missing.push('redis-server');
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has('apt-get')) {
    console.log(`[start] installing Debian's ${missing.join(' and ')} (apt-get)...`);
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', ...missing], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } else if (missing.includes('pushpin')) {
    console.error('[start] Pushpin is not installed. Install it, then run npm start again:');
    console.error(`    sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
    console.error('  (other systems: https://pushpin.org/docs/install/ ; zurl must be on PATH too)');
    process.exit(1);
  } else {
    console.log('[start] redis-server is not installed: running without message history (sudo apt-get install -y redis-server adds it).');
  }
}

// The same command a project using the package runs (`npx grip-lambda dev`), from the source.
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/local/cli.ts'), 'dev', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// The stack handles Ctrl-C itself (it reaches the whole foreground group); wait for it to finish.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
