/**
 * Cold start: bundle size and module load time of each function, next to a
 * minimal echo on @fanoutio/grip and an API Gateway WebSocket echo on
 * @aws-sdk/client-apigatewaymanagementapi, all bundled with the same esbuild
 * settings as serverless.yml (CommonJS, minified, node20). Load time is
 * measured in a fresh `node` process per sample: require() of the bundle.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { parse } from 'yaml';

export interface ColdStartRow {
  readonly name: string;
  readonly kind: 'grip-lambda' | 'alternative';
  readonly bytes: number;
  readonly gzipBytes: number;
  /** ioredis in its own file, loaded only when the function first uses its feed (0: none). */
  readonly onDemandBytes: number;
  readonly loadMedianMs: number;
  readonly loadP90Ms: number;
}

const root = join(import.meta.dirname, '..');
/** The plugins serverless.yml bundles with. */
const plugins = createRequire(import.meta.url)(join(root, 'build/esbuild-plugins.cjs')) as import('esbuild').Plugin[];

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    plugins,
    logLevel: 'silent',
  });
}

/**
 * Load times of each bundle, `samples` each, in fresh processes; the bundles
 * take turns, so a busy moment of the machine falls on all of them alike.
 */
function loadTimes(files: readonly string[], samples: number): number[][] {
  const times = files.map((): number[] => []);
  for (let i = 0; i < samples; i++) {
    files.forEach((file, k) => {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      times[k]!.push(Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
    });
  }
  return times.map((list) => list.sort((a, b) => a - b));
}

const onDemandFile = (bundle: string) => bundle.replace(/\.cjs$/, '.ioredis.cjs');

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function measureColdStart(samples = 21): Promise<ColdStartRow[]> {
  const config = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as { functions: Record<string, { handler: string }> };
  const entries: Array<[string, ColdStartRow['kind'], string]> = Object.entries(config.functions).map(([name, fn]) => [
    name,
    'grip-lambda',
    join(root, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`),
  ]);
  entries.push(['empty handler (the floor)', 'alternative', join(root, 'bench/cold/empty.ts')]);
  entries.push(['@fanoutio/grip echo', 'alternative', join(root, 'bench/cold/grip-echo.ts')]);
  entries.push(['@fanoutio/grip echo + Grip-Sig', 'alternative', join(root, 'bench/cold/grip-echo-verified.ts')]);
  entries.push(['API Gateway WS echo (aws-sdk)', 'alternative', join(root, 'bench/cold/apigw-echo.ts')]);
  const dir = mkdtempSync(join(tmpdir(), 'grip-cold-'));
  const files: string[] = [];
  for (const [name, , entry] of entries) {
    const outfile = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.cjs`);
    await bundle(entry, outfile);
    files.push(outfile);
  }
  const times = loadTimes(files, samples);
  const rows: ColdStartRow[] = entries.map(([name, kind], k) => ({
    name,
    kind,
    bytes: statSync(files[k]!).size,
    gzipBytes: gzipSync(readFileSync(files[k]!)).length,
    onDemandBytes: existsSync(onDemandFile(files[k]!)) ? statSync(onDemandFile(files[k]!)).size : 0,
    loadMedianMs: quantile(times[k]!, 0.5),
    loadP90Ms: quantile(times[k]!, 0.9),
  }));
  return rows;
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measureColdStart()) {
    console.log(
      `${row.name.padEnd(32)} ${(row.bytes / 1024).toFixed(1).padStart(7)} KB ${(row.gzipBytes / 1024).toFixed(1).padStart(6)} KB gz  load ${row.loadMedianMs.toFixed(2)} ms (p90 ${row.loadP90Ms.toFixed(2)})`,
    );
  }
}
