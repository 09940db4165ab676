import type { GripEnv } from '../config.js';
import { GripPublisher } from './publisher.js';

/** One publisher per environment object, made when first asked for. */
const byEnv = new WeakMap<GripEnv, GripPublisher>();

/**
 * The publisher for `env`'s GRIP_URL and GRIP_PREFIX, one per environment
 * object in the process: every handler reading `process.env`, and code
 * outside handlers, share one queue (publishes coalesce, arrive in order,
 * and one `flush` covers them).
 * @throws Error naming the variable when a GRIP URL is not a URL.
 */
export function publisherFor(env: GripEnv): GripPublisher {
  let publisher = byEnv.get(env);
  if (publisher === undefined) {
    publisher = GripPublisher.fromEnv(env);
    byEnv.set(env, publisher);
  }
  return publisher;
}
