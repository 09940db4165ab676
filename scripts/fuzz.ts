/**
 * `npm run fuzz`: hostile inputs against every function's handler.
 *
 *   npm run fuzz                          # 100,000 inputs, seed 20241122
 *   npm run fuzz -- --seed 7 --runs 5000
 *   npm run fuzz -- --timeout 5000        # per handler call, ms
 *   npm run fuzz -- --verbose             # also the most common rejection reasons
 *
 * Each input is a Lambda event (API Gateway REST, HTTP API, Function URL,
 * ALB with headers or multiValueHeaders, or a relay source event), sent to
 * every function of functions/*.ts; half of the inputs go to functions
 * configured with a Grip-Sig verify key (most of them validly signed).
 * Exits 1 on the first violation, printing the shrunk input that shows it.
 * See test/fuzz/check.ts for the properties.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, formatReport, runFuzz } from '../test/fuzz/run.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string' },
    timeout: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    console.error(`--${name} must be an integer, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

const seed = int(values.seed, DEFAULT_SEED, 'seed');
const runs = int(values.runs, 100_000, 'runs');
const handlerTimeoutMs = int(values.timeout, 10_000, 'timeout');

console.log(`fuzz: seed ${seed} (--seed to change), ${runs} inputs (--runs), ${handlerTimeoutMs} ms per call (--timeout)`);
const report = await runFuzz({
  seed,
  runs,
  handlerTimeoutMs,
  onProgress(done, total, elapsedMs) {
    const rate = done / (elapsedMs / 1000);
    console.log(`  ${done}/${total} inputs, ${(elapsedMs / 1000).toFixed(1)} s, ${rate.toFixed(0)} inputs/s`);
  },
});
console.log(formatReport(report, values.verbose));
process.exit(report.failure === undefined ? 0 : 1);
