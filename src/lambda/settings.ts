import { GripSigVerifier } from '../auth/grip-sig.js';
import { readVerifyKeys, type GripEnv } from '../config.js';
import { publisherFor } from '../publish/process-publisher.js';
import type { GripPublisher } from '../publish/publisher.js';
import { setUpObserving } from '../observe/handler-setup.js';
import type { ObserveEnv, ObserveOptions, ObserveSettings } from '../observe/settings.js';

/** Options shared by every handler factory; `logger`, `logLevel`, `metrics` and `tracing` are docs/observability.md's. */
export interface GripOptions extends ObserveOptions {
  /**
   * Where GRIP_* settings, and the logging and metrics variables of
   * docs/observability.md, come from; default `process.env`, read once when
   * the handler is made.
   */
  readonly env?: GripEnv & ObserveEnv;
  /** Replaces the verifier built from the environment. */
  readonly verifier?: GripSigVerifier;
  /**
   * What the handler publishes through (`ctx.publisher`, `req.publisher`,
   * `getPublisher()` inside it); default the one for `env` (one per
   * environment object, so handlers reading `process.env` share one). Its
   * prefix must be `env`'s GRIP_PREFIX.
   */
  readonly publisher?: GripPublisher;
}

/**
 * Everything a handler reads from its options, once per container (in
 * Lambda's init phase): the channel prefix that subscriptions, holds,
 * Grip-Last and publishes all use, the signature check, and the publisher
 * (its publishing clients are made on its first publish).
 */
export interface HandlerSettings {
  readonly env: GripEnv & ObserveEnv;
  readonly prefix: string;
  /** Undefined when no key is configured: requests are not checked. */
  readonly verifier: GripSigVerifier | undefined;
  readonly publisher: GripPublisher;
  /** Logs, metrics and tracing. */
  readonly observe: ObserveSettings;
}

/** @throws Error naming the variable when a GRIP URL cannot be parsed; TypeError when `publisher`'s prefix is not GRIP_PREFIX. */
export function readHandlerSettings(options: GripOptions = {}): HandlerSettings {
  const env = options.env ?? process.env;
  const prefix = env.GRIP_PREFIX ?? '';
  const verifier = options.verifier ?? new GripSigVerifier(readVerifyKeys(env));
  if (options.publisher !== undefined && options.publisher.prefix !== prefix) {
    throw new TypeError(
      `the publisher's prefix ${JSON.stringify(options.publisher.prefix)} is not GRIP_PREFIX ${JSON.stringify(prefix)}: subscribers would not get what it publishes`,
    );
  }
  return {
    env,
    prefix,
    verifier: verifier.required ? verifier : undefined,
    publisher: options.publisher ?? publisherFor(env),
    // Logging settings come from the same environment (GRIP_LOG_LEVEL, GRIP_METRICS...; Lambda's own in process.env).
    observe: setUpObserving(options, env as GripEnv & ObserveEnv),
  };
}
