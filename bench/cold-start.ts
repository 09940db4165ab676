/**
 * Cold start: bundle size and module load time of each function, next to a
 * minimal echo on @fanoutio/grip and an API Gateway WebSocket echo on
 * @aws-sdk/client-apigatewaymanagementapi, all bundled with the same esbuild
 * settings as serverless.yml (CommonJS, minified, node24). Load time is
 * measured in a fresh `node` process per sample: require() of the bundle,
 * with GRIP settings as deployed (Pushpin's shared key). For the rows that
 * take WebSocket-over-HTTP, the same process then serves one signed request
 * (OPEN + TEXT, Grip-Sig HS256): load plus that first request is the cold
 * start a client waits for, and shows work merely moved from init to the
 * first request.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { SignJWT } from 'jose';
import { parse } from 'yaml';

export interface ColdStartRow {
  readonly name: string;
  readonly kind: 'grip-lambda' | 'alternative' | 'signature check';
  readonly bytes: number;
  readonly gzipBytes: number;
  /**
   * Sizes of the files of its own that the bundle loads on first use (the
   * build/esbuild-plugins.cjs ones: ioredis, the publishing client, jose,
   * the DynamoDB stores), by file suffix; only those it has.
   */
  readonly onDemand: Readonly<Partial<Record<OnDemandFile, number>>>;
  readonly loadMedianMs: number;
  readonly loadP90Ms: number;
  /** Load plus the first signed WebSocket-over-HTTP request, median; undefined where not measured. */
  readonly firstRequestMedianMs: number | undefined;
  /**
   * The same two, in CPU time (user + system) of the process: what they
   * cost without the waits a busy machine adds to wall time.
   */
  readonly loadCpuMedianMs: number;
  readonly firstRequestCpuMedianMs: number | undefined;
}

/** GRIP settings every bundle loads with: Pushpin's shared key, as `npm start` and a deployment set them. */
const SIG_KEY = 'bench-sig-key';
const ENV = {
  GRIP_URL: `http://127.0.0.1:9/?iss=pushpin&key=${SIG_KEY}`,
  GRIP_VERIFY_KEY: SIG_KEY,
  GRIP_VERIFY_ISS: 'pushpin',
};

/** An HTTP API (payload 2.0) event as Pushpin's request for a new connection that sent one message. */
export async function signedOpenEvent(): Promise<object> {
  const token = await new SignJWT({ iss: 'pushpin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SIG_KEY));
  const body = 'OPEN\r\nTEXT 5\r\nhello\r\n';
  return {
    version: '2.0',
    routeKey: 'POST /echo',
    rawPath: '/echo',
    rawQueryString: '',
    headers: {
      'content-type': 'application/websocket-events',
      accept: 'application/websocket-events',
      'connection-id': 'bench-cold',
      'grip-sig': token,
      'sec-websocket-extensions': 'grip',
    },
    requestContext: {
      http: { method: 'POST', path: '/echo', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      domainName: 'localhost',
      requestId: 'bench',
      routeKey: 'POST /echo',
      stage: '$default',
      timeEpoch: 0,
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

const root = join(import.meta.dirname, '..');
/** The plugins serverless.yml bundles with. */
const plugins = createRequire(import.meta.url)(join(root, 'build/esbuild-plugins.cjs')) as import('esbuild').Plugin[];

/** Bundles `entry` as serverless.yml does; `extra` may name other plugins (another checkout's). */
export async function bundle(entry: string, outfile: string, extra: Pick<BuildOptions, 'external' | 'plugins'> = {}): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    plugins,
    logLevel: 'silent',
    ...extra,
  });
}

export interface Sample {
  readonly loadMs: number;
  readonly loadCpuMs: number;
  readonly firstRequestMs: number | undefined;
  readonly firstRequestCpuMs: number | undefined;
}

/**
 * Load times of each bundle (and, where `withRequest`, load plus the first
 * request), `samples` each, in fresh processes; the bundles take turns, so
 * a busy moment of the machine falls on all of them alike.
 * @throws Error when a first request is not answered 200 (a refused signature would be a cheaper, wrong figure).
 */
export function measure(
  files: readonly string[],
  withRequest: readonly boolean[],
  event: object,
  samples: number,
  dir: string,
): Sample[][] {
  // A script file, not `node -e`: evaluating -e loads node:crypto before the script runs, which hid its cost.
  const runner = join(dir, 'load-and-call.cjs');
  writeFileSync(
    runner,
    [
      'const now = () => Number(process.hrtime.bigint()) / 1e6;',
      'const cpu = (from) => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e3; };',
      'const [file, call] = process.argv.slice(2);',
      'const t = now(); const c = process.cpuUsage();',
      'const m = require(file);',
      'const load = now() - t, loadCpu = cpu(c);',
      // Exits once written: a handler's open connection (a store's keep-alive) would hold the process.
      // The figures are taken before `process.stdout` is first read: making that stream (node:stream and
      // its parts, about 4 ms) is the runner's work, not the function's, and fell on every row alike.
      'const report = (figures) => { const json = JSON.stringify(figures); process.stdout.write(json, () => process.exit(0)); };',
      "if (call !== 'call') report({ load, loadCpu });",
      'else Promise.resolve(m.handler(JSON.parse(process.env.BENCH_EVENT))).then((r) =>',
      '  report({ load, loadCpu, first: now() - t, firstCpu: cpu(c), status: r.statusCode }));',
    ].join('\n'),
  );
  const times = files.map((): Sample[] => []);
  const env = { ...process.env, ...ENV, BENCH_EVENT: JSON.stringify(event) };
  for (let i = 0; i < samples; i++) {
    files.forEach((file, k) => {
      const args = [runner, file, withRequest[k] ? 'call' : 'load'];
      const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] })) as {
        load: number;
        loadCpu: number;
        first?: number;
        firstCpu?: number;
        status?: number;
      };
      if (withRequest[k] && out.status !== 200) throw new Error(`${file}: first request answered ${out.status}, not 200`);
      times[k]!.push({ loadMs: out.load, loadCpuMs: out.loadCpu, firstRequestMs: out.first, firstRequestCpuMs: out.firstCpu });
    });
  }
  return times;
}

/** The `NAME.SUFFIX.cjs` files build/esbuild-plugins.cjs makes beside a bundle, loaded on first use. */
export const ON_DEMAND_FILES = ['ioredis', 'grip-publish', 'jose', 'dynamodb'] as const;
export type OnDemandFile = (typeof ON_DEMAND_FILES)[number];

/** The sizes of the on-demand files beside `bundle`. */
function onDemandSizes(bundle: string): Partial<Record<OnDemandFile, number>> {
  const sizes: Partial<Record<OnDemandFile, number>> = {};
  for (const suffix of ON_DEMAND_FILES) {
    const file = bundle.replace(/\.cjs$/, `.${suffix}.cjs`);
    if (existsSync(file)) sizes[suffix] = statSync(file).size;
  }
  return sizes;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Functions that answer the signed WebSocket-over-HTTP request, so their first request is measured too. */
const WEBSOCKET_FUNCTIONS = new Set(['echo', 'subscribe']);

export async function measureColdStart(samples = 21): Promise<ColdStartRow[]> {
  const config = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as {
    functions: Record<string, { handler: string }>;
  };
  const entries: Array<[string, ColdStartRow['kind'], string, boolean]> = Object.entries(config.functions).map(([name, fn]) => [
    name,
    'grip-lambda',
    join(root, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`),
    WEBSOCKET_FUNCTIONS.has(name),
  ]);
  entries.push(['empty handler (the floor)', 'alternative', join(root, 'bench/cold/empty.ts'), true]);
  entries.push(['@fanoutio/grip echo', 'alternative', join(root, 'bench/cold/grip-echo.ts'), true]);
  entries.push(['@fanoutio/grip echo + Grip-Sig', 'alternative', join(root, 'bench/cold/grip-echo-verified.ts'), true]);
  entries.push(['API Gateway WS echo (aws-sdk)', 'alternative', join(root, 'bench/cold/apigw-echo.ts'), false]);
  // The ways to check Grip-Sig, alone (each a handler that verifies and answers 200 or 401).
  entries.push(['Grip-Sig alone: jose', 'signature check', join(root, 'bench/cold/sig-jose.ts'), true]);
  entries.push(['Grip-Sig alone: node:crypto at init', 'signature check', join(root, 'bench/cold/sig-node-crypto.ts'), true]);
  entries.push(['Grip-Sig alone: node:crypto on first use', 'signature check', join(root, 'bench/cold/sig-node-crypto-lazy.ts'), true]);
  entries.push(['Grip-Sig alone: @noble/hashes on first use', 'signature check', join(root, 'bench/cold/sig-noble.ts'), true]);
  entries.push(['Grip-Sig alone: GripSigVerifier', 'signature check', join(root, 'bench/cold/sig-grip-lambda.ts'), true]);
  const dir = mkdtempSync(join(tmpdir(), 'grip-cold-'));
  const files: string[] = [];
  for (const [name, , entry] of entries) {
    const outfile = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.cjs`);
    await bundle(entry, outfile);
    files.push(outfile);
  }
  const times = measure(
    files,
    entries.map(([, , , withRequest]) => withRequest),
    await signedOpenEvent(),
    samples,
    dir,
  );
  const rows: ColdStartRow[] = entries.map(([name, kind, , withRequest], k) => {
    const loads = times[k]!.map((s) => s.loadMs).sort((a, b) => a - b);
    const firsts = times[k]!.map((s) => s.firstRequestMs ?? 0).sort((a, b) => a - b);
    const loadCpus = times[k]!.map((s) => s.loadCpuMs).sort((a, b) => a - b);
    const firstCpus = times[k]!.map((s) => s.firstRequestCpuMs ?? 0).sort((a, b) => a - b);
    return {
      name,
      kind,
      bytes: statSync(files[k]!).size,
      gzipBytes: gzipSync(readFileSync(files[k]!)).length,
      onDemand: onDemandSizes(files[k]!),
      loadMedianMs: quantile(loads, 0.5),
      loadP90Ms: quantile(loads, 0.9),
      firstRequestMedianMs: withRequest ? quantile(firsts, 0.5) : undefined,
      loadCpuMedianMs: quantile(loadCpus, 0.5),
      firstRequestCpuMedianMs: withRequest ? quantile(firstCpus, 0.5) : undefined,
    };
  });
  return rows;
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--json')) {
  // For npm run bench, which runs this under Node.js 24 too: the rows as one JSON line.
  console.log(JSON.stringify(await measureColdStart(Number(process.argv[2] ?? 21))));
} else if (process.argv[1] === import.meta.filename) {
  for (const row of await measureColdStart(Number(process.argv[2] ?? 21))) {
    console.log(
      `${row.name.padEnd(42)} ${(row.bytes / 1024).toFixed(1).padStart(7)} KB ${(row.gzipBytes / 1024).toFixed(1).padStart(6)} KB gz  load ${row.loadMedianMs.toFixed(2)} ms (p90 ${row.loadP90Ms.toFixed(2)})${row.firstRequestMedianMs !== undefined ? `  with first request ${row.firstRequestMedianMs.toFixed(2)} ms` : ''}  cpu ${row.loadCpuMedianMs.toFixed(2)}${row.firstRequestCpuMedianMs !== undefined ? ` / ${row.firstRequestCpuMedianMs.toFixed(2)}` : ''} ms`,
    );
  }
}
