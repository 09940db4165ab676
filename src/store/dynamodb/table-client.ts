import type { StoreUnavailableError } from '../unavailable.js';
import { DynamoDBApi, DynamoDBError, isTransient, settingsFromEnv, type DynamoDBSettings, type Item } from './api.js';
import { LIMITS, PARTITION_KEY, SORT_KEY } from './table.js';

/** The default budget of one store operation, in ms (as Redis's). */
export const DEFAULT_TIMEOUT_MS = 1000;

/** An error class the store's callers know (FeedUnavailableError for the feed). */
export type UnavailableError = new (message: string, options?: { cause?: unknown }) => StoreUnavailableError;

/** One operation's time: a deadline, and the signal that aborts what is still waiting at it. */
export class Budget {
  readonly deadline: number;
  readonly signal: AbortSignal;
  constructor(readonly timeoutMs: number) {
    this.deadline = Date.now() + timeoutMs;
    this.signal = AbortSignal.timeout(timeoutMs);
  }
  get left(): number {
    return this.deadline - Date.now();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The table a store works on: a DynamoTable as given, or one made for a
 * table name with the environment's AWS settings and `timeoutMs`.
 * @throws TypeError when a DynamoTable comes with a `timeoutMs`: the table
 * carries its own budget (`new DynamoTable(settings, timeoutMs)`), and the
 * option would be ignored.
 */
export function storeTable(table: DynamoTable | string, timeoutMs: number | undefined): DynamoTable {
  if (typeof table === 'string') return new DynamoTable(settingsFromEnv(table), timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (timeoutMs !== undefined)
    throw new TypeError(
      `timeoutMs is for a table named by a string; this DynamoTable has its own budget (${table.timeoutMs} ms): give it with new DynamoTable(settings, timeoutMs)`,
    );
  return table;
}

/**
 * The table as the stores use it: every call answers or fails within its
 * budget; throttling and 5xx answers are retried (soon, with jitter) until
 * then, and connection trouble or the budget running out become the
 * caller's StoreUnavailableError. A table that is missing or has another
 * key schema fails with an Error naming the table and what is wrong.
 */
export class DynamoTable {
  readonly api: DynamoDBApi;
  readonly name: string;
  readonly timeoutMs: number;
  /** Why the table cannot be used, once known: every later call fails with it at once. */
  #broken: Error | undefined;

  /** @throws RangeError when `timeoutMs` is not a positive number of ms. */
  constructor(api: DynamoDBApi | DynamoDBSettings, timeoutMs = DEFAULT_TIMEOUT_MS) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number of ms, got ${timeoutMs}`);
    this.api = api instanceof DynamoDBApi ? api : new DynamoDBApi(api);
    this.name = this.api.settings.table;
    this.timeoutMs = timeoutMs;
  }

  budget(): Budget {
    return new Budget(this.timeoutMs);
  }

  /**
   * One operation on the table (TableName added). `what` names it in errors
   * ("feed append"). Fails with DynamoDBError for answers the caller handles
   * (ConditionalCheckFailedException), with `Unavailable` for "not now".
   */
  async call<T = Record<string, unknown>>(
    what: string,
    operation: string,
    body: object,
    budget: Budget,
    Unavailable: UnavailableError,
  ): Promise<T> {
    if (this.#broken !== undefined) throw this.#broken;
    for (let attempt = 0; ; attempt++) {
      if (budget.left <= 0) throw new Unavailable(`${what}: DynamoDB did not answer within ${budget.timeoutMs} ms`);
      try {
        return await this.api.call<T>(operation, { TableName: this.name, ...body }, budget.signal);
      } catch (error) {
        if (error instanceof DynamoDBError) {
          if (isTransient(error)) {
            const pause = Math.min(25 * 2 ** attempt, 200) * (0.5 + Math.random());
            if (budget.left > pause) {
              await sleep(pause);
              continue;
            }
            throw new Unavailable(`${what}: DynamoDB is busy (${error.message}); gave up after ${budget.timeoutMs} ms`, { cause: error });
          }
          // A failed condition is an answer the store acts on, not a fault.
          if (error.type === 'ConditionalCheckFailedException') throw error;
          throw await this.#explain(what, error);
        }
        // No answer: the budget ran out (the signal's TimeoutError), or the connection failed (fetch's TypeError).
        if (budget.signal.aborted)
          throw new Unavailable(`${what}: DynamoDB did not answer within ${budget.timeoutMs} ms`, { cause: error });
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new Unavailable(
          `${what}: DynamoDB unreachable at ${this.api.settings.endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
          {
            cause: error,
          },
        );
      }
    }
  }

  /** An error answer as the user should read it: a missing table or a wrong key schema named as such, for every later call too. */
  async #explain(what: string, error: DynamoDBError): Promise<Error> {
    const where = `DynamoDB table "${this.name}" (region ${this.api.settings.region}, ${this.api.settings.endpoint})`;
    if (error.type === 'ResourceNotFoundException') {
      this.#broken = new Error(`${what}: ${where} does not exist: create it (docs/state.md) or set DYNAMODB_TABLE to one that exists`, {
        cause: error,
      });
      return this.#broken;
    }
    if (error.type === 'ValidationException' && /key|schema/i.test(error.message) && !/size|exceed/i.test(error.message)) {
      const schema = await this.#describeKeys().catch(() => undefined);
      if (schema !== undefined && schema !== EXPECTED_KEYS) {
        this.#broken = new Error(`${what}: ${where} has key schema ${schema}; the stores need ${EXPECTED_KEYS}`, { cause: error });
        return this.#broken;
      }
    }
    if (/^(AccessDeniedException|UnrecognizedClientException|MissingAuthenticationTokenException)$/.test(error.type)) {
      return new Error(`${what}: ${where} refused the function's credentials: ${error.message}`, { cause: error });
    }
    return new Error(`${what}: ${where}: ${error.message}`, { cause: error });
  }

  async #describeKeys(): Promise<string> {
    const out = await this.api.call<{
      Table: {
        KeySchema: { AttributeName: string; KeyType: string }[];
        AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
      };
    }>('DescribeTable', { TableName: this.name }, AbortSignal.timeout(this.timeoutMs));
    const types = new Map(out.Table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
    return out.Table.KeySchema.map((k) => `${k.AttributeName} (${k.KeyType}, ${types.get(k.AttributeName) ?? '?'})`).join(' + ');
  }
}

const EXPECTED_KEYS = `${PARTITION_KEY} (HASH, S) + ${SORT_KEY} (RANGE, S)`;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Refuses a key DynamoDB would refuse, before anything is written: the
 * partition and sort key values (with their item-kind prefixes) must fit
 * DynamoDB's limits. `name` says what the value is ("channel").
 */
export function checkKey(what: string, name: string, value: string, prefix: string, part: 'partition' | 'sort'): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  const limit = part === 'partition' ? LIMITS.partitionKeyBytes : LIMITS.sortKeyBytes;
  const room = limit - utf8Bytes(prefix);
  const bytes = utf8Bytes(value);
  if (bytes > room) {
    throw new RangeError(
      `${what}: ${name} is ${bytes} bytes in UTF-8; on DynamoDB it may be at most ${room} (it is part of the ${part} key, at most ${limit} bytes)`,
    );
  }
}

/** Refuses an item over DynamoDB's 400 KB, counting as DynamoDB does (attribute names and values, in UTF-8 bytes). */
export function checkItemSize(what: string, item: Item): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += utf8Bytes(name);
    if ('S' in value) bytes += utf8Bytes(value.S);
    else if ('N' in value) bytes += Math.ceil(value.N.length / 2) + 1;
    else bytes += 1;
  }
  if (bytes > LIMITS.itemBytes) {
    throw new RangeError(`${what}: the item would be ${bytes} bytes; a DynamoDB item holds at most ${LIMITS.itemBytes} (400 KB)`);
  }
}
