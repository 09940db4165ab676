import { storeBackend } from '../store/backend.js';
import { dynamoPresence } from '../store/dynamodb/shared-presence.js';
import type { Presence, PresenceOptions } from './presence.js';
import { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';

/** What getPresence reads from the environment. */
export interface PresenceEnv {
  readonly REDIS_URL?: string | undefined;
  /** Selects DynamoDB instead of Redis (with AWS_REGION, credentials and AWS_ENDPOINT_URL_DYNAMODB as the AWS SDK reads them). */
  readonly DYNAMODB_TABLE?: string | undefined;
  readonly [name: string]: string | undefined;
  readonly PRESENCE_LEAVE_SECONDS?: string | undefined;
}

/** The presences getPresence made, each with what it was made from. */
const made: { readonly url: string; readonly options: RedisPresenceOptions; readonly presence: Presence }[] = [];

/**
 * A presence when REDIS_URL is set, else null; made (and connecting) on the
 * first call with these options, so call it at module load. Every caller
 * gets its own options, `onChange` included: a call with the same options
 * (the same `onChange` function) gets the same instance, any other a new
 * one, all on the process's one connection to REDIS_URL (several functions
 * hosted in one process, as the local stack hosts them, each announce
 * their own changes). PRESENCE_LEAVE_SECONDS sets `leaveAfterSeconds`.
 */
export function getPresence(
  options: Omit<RedisPresenceOptions, 'leaveAfterSeconds'> = {},
  env: PresenceEnv = process.env,
): Presence | null {
  const backend = storeBackend(env);
  if (backend === undefined) return null;
  const full: RedisPresenceOptions = { ...options, ...leaveAfterFrom(env) };
  const url = backend.kind === 'redis' ? backend.url : `dynamodb:${backend.table}`;
  const same = made.find((entry) => entry.url === url && sameOptions(entry.options, full));
  if (same !== undefined) return same.presence;
  let presence: Presence;
  if (backend.kind === 'dynamodb') presence = dynamoPresence(backend.table, env, full);
  else {
    const redis = new RedisPresence(backend.url, full);
    redis.warm();
    presence = redis;
  }
  made.push({ url, options: full, presence });
  return presence;
}

/** Closes the presences getPresence made (for hosts that outlive their Redis, like the local stack). */
export async function closeSharedPresence(): Promise<void> {
  const closing = made.splice(0).map(({ presence }) => presence.close().catch(() => undefined));
  await Promise.all(closing);
}

/** PRESENCE_LEAVE_SECONDS as `leaveAfterSeconds`; anything but a whole number fails init, naming it. */
function leaveAfterFrom(env: PresenceEnv): Pick<PresenceOptions, 'leaveAfterSeconds'> {
  const leave = env.PRESENCE_LEAVE_SECONDS;
  if (leave === undefined || leave === '') return {};
  if (!/^\d+$/.test(leave)) throw new Error(`PRESENCE_LEAVE_SECONDS must be a whole number of seconds, got ${JSON.stringify(leave)}`);
  return { leaveAfterSeconds: Number(leave) };
}

function sameOptions(a: RedisPresenceOptions, b: RedisPresenceOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof RedisPresenceOptions)[]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
