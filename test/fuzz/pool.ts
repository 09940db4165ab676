/**
 * The two function "containers" the fuzzer drives, one per variant, each a
 * worker thread: `open` (no verify key: every request is let in) and `keyed`
 * (GRIP_URL with iss and key, GRIP_VERIFY_ISS, PUBLISH_TOKEN: requests need
 * a valid Grip-Sig). A worker that does not answer in time is blocked (a
 * synchronous hang): it is replaced and the call reported as a timeout.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ContextKind, Variant } from './model.js';
import { FUZZ_PUBLISH_TOKEN, FUZZ_SIG_KEY } from './render.js';
import { LOCAL_PUSHPIN_SETTINGS } from '../../src/local/pushpin-settings.js';
import { maxMessageBytesFor } from '../../src/websocket/limits.js';
import type { FunctionInfo, RunReply, WorkerInit, WorkerMessage } from './worker.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Worker source: tsx's loader is not inherited by worker threads, so register it first. */
function bootstrap(): URL {
  const code = [
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    'register();',
    `await import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export function variantEnv(variant: Variant, controlUrl: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(GRIP_|REDIS_URL$|PUBLISH_TOKEN$)/.test(name)) env[name] = value;
  }
  // As behind the local stack's Pushpin, whose buffer carries back any message a client can send it.
  env.GRIP_MAX_MESSAGE_BYTES = String(maxMessageBytesFor(LOCAL_PUSHPIN_SETTINGS.clientBufferSize));
  if (variant === 'open') {
    env.GRIP_URL = controlUrl;
  } else {
    env.GRIP_URL = `${controlUrl}?iss=pushpin&key=${FUZZ_SIG_KEY}`;
    env.GRIP_VERIFY_ISS = 'pushpin';
    env.PUBLISH_TOKEN = FUZZ_PUBLISH_TOKEN;
  }
  return env;
}

/** What a call to a container came to when the worker did not reply. */
export type Failure = { readonly failure: 'blocked' } | { readonly failure: 'crashed'; readonly error: string };

class Container {
  #worker: Worker | undefined;
  #ready: Promise<readonly FunctionInfo[]> | undefined;
  #pending = new Map<number, (reply: RunReply | Failure) => void>();
  #nextId = 1;
  restarts = 0;

  constructor(
    readonly variant: Variant,
    readonly controlUrl: string,
    readonly handlerTimeoutMs: number,
  ) {}

  start(): Promise<readonly FunctionInfo[]> {
    const init: WorkerInit = { root: PROJECT_ROOT, handlerTimeoutMs: this.handlerTimeoutMs };
    const worker = new Worker(bootstrap(), {
      workerData: init,
      env: variantEnv(this.variant, this.controlUrl),
      stdout: true,
      stderr: true,
    });
    // The functions' own logging is captured in the worker; drop anything else it prints.
    worker.stdout.resume();
    worker.stderr.resume();
    this.#worker = worker;
    let started = false;
    this.#ready = new Promise((resolve, reject) => {
      // After start, an error is an uncaught exception or unhandled rejection in
      // the functions' code: in Lambda that fails the invocation.
      worker.on('error', (error) => {
        if (!started) {
          reject(error);
          return;
        }
        const failure: Failure = { failure: 'crashed', error: error.stack ?? String(error) };
        for (const resolvePending of this.#pending.values()) resolvePending(failure);
        this.#pending.clear();
      });
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          started = true;
          resolve(message.functions);
          return;
        }
        const resolveReply = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        resolveReply?.(message);
      });
    });
    return this.#ready;
  }

  async run(event: unknown, context: ContextKind, watchdogMs: number): Promise<RunReply | Failure> {
    const functions = await this.#ready!;
    const id = this.#nextId++;
    const reply = new Promise<RunReply | Failure>((resolve) => this.#pending.set(id, resolve));
    this.#worker!.postMessage({ id, event, context });
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<Failure>((resolve) => {
      timer = setTimeout(() => resolve({ failure: 'blocked' }), watchdogMs);
    });
    const result = await Promise.race([reply, watchdog]);
    clearTimeout(timer);
    if ('failure' in result) {
      this.#pending.delete(id);
      this.restarts++;
      await this.#worker!.terminate();
      const restarted = await this.start();
      if (restarted.length !== functions.length) throw new Error('functions changed after a restart');
    }
    return result;
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
  }
}

export class Containers {
  readonly #byVariant: Record<Variant, Container>;
  functions: readonly FunctionInfo[] = [];

  constructor(controlUrl: string, handlerTimeoutMs: number) {
    this.#byVariant = {
      open: new Container('open', controlUrl, handlerTimeoutMs),
      keyed: new Container('keyed', controlUrl, handlerTimeoutMs),
    };
  }

  async start(): Promise<void> {
    const [open] = await Promise.all([this.#byVariant.open.start(), this.#byVariant.keyed.start()]);
    this.functions = open;
  }

  run(variant: Variant, event: unknown, context: ContextKind, watchdogMs: number): Promise<RunReply | Failure> {
    return this.#byVariant[variant].run(event, context, watchdogMs);
  }

  get restarts(): number {
    return this.#byVariant.open.restarts + this.#byVariant.keyed.restarts;
  }

  async close(): Promise<void> {
    await Promise.all([this.#byVariant.open.close(), this.#byVariant.keyed.close()]);
  }
}
