import type { AwsClient } from 'aws4fetch';

/**
 * DynamoDB's JSON protocol over HTTPS, signed with SigV4 by aws4fetch and
 * sent with fetch: a few KB to load, where @aws-sdk/client-dynamodb is
 * hundreds (docs/state.md has the measurements behind the choice).
 */

/** Where the table is and who is asking, from the AWS SDK's standard environment variables. */
export interface DynamoDBSettings {
  readonly table: string;
  readonly region: string;
  /** https://dynamodb.REGION.amazonaws.com, or AWS_ENDPOINT_URL_DYNAMODB (a local server). */
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Settings for `table` from the environment Lambda gives a function
 * (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * with AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) for a local endpoint.
 * @throws Error naming what is missing.
 */
export function settingsFromEnv(table: string, env: Env = process.env): DynamoDBSettings {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`DYNAMODB_TABLE=${table} needs AWS_REGION (Lambda sets it; set it yourself elsewhere)`);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      `DYNAMODB_TABLE=${table} needs credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them from the function's role)`,
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || `https://dynamodb.${region}.amazonaws.com`;
  try {
    new URL(endpoint);
  } catch {
    throw new Error(`AWS_ENDPOINT_URL_DYNAMODB must be a URL, got ${JSON.stringify(endpoint)}`);
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { table, region, endpoint, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

/** An error answer from DynamoDB: `type` is its exception name, e.g. ConditionalCheckFailedException. */
export class DynamoDBError extends Error {
  override readonly name = 'DynamoDBError';
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    /** For a failed condition asked with ReturnValuesOnConditionCheckFailure: the item as it was. */
    readonly item?: Item,
  ) {
    super(message);
  }
}

/** Answers that mean "not now" (throttled, busy, failing over): retried within the time budget, then the store is unavailable. */
const TRANSIENT =
  /^(ProvisionedThroughputExceededException|ThrottlingException|RequestLimitExceeded|InternalServerError|ServiceUnavailable|LimitExceededException|TransactionInProgressException)$/;

export function isTransient(error: unknown): boolean {
  return error instanceof DynamoDBError && (error.status >= 500 || TRANSIENT.test(error.type));
}

/** An attribute value in DynamoDB's JSON. */
export type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { NULL: true };
export type Item = Record<string, AttributeValue>;

export class DynamoDBApi {
  readonly settings: DynamoDBSettings;
  #signer: Promise<AwsClient> | undefined;

  constructor(settings: DynamoDBSettings) {
    this.settings = settings;
  }

  /** Loads the signer (and with it WebCrypto) now, so a cold start does it in Lambda's init, not in the first request. */
  warm(): void {
    this.#client().catch(() => {
      this.#signer = undefined;
    });
  }

  #client(): Promise<AwsClient> {
    return (this.#signer ??= import('aws4fetch').then(({ AwsClient }) => {
      const { credentials, region } = this.settings;
      // retries: 0, since aws4fetch would otherwise retry 10 times with backoff, past any time budget.
      return new AwsClient({ ...credentials, region, service: 'dynamodb', retries: 0 });
    }));
  }

  /**
   * One operation (`Query`, `PutItem`...), `body` as DynamoDB's JSON. Fails
   * with DynamoDBError for an answer that is an error, and with whatever
   * fetch throws (a TypeError, or the signal's reason) when none came.
   */
  async call<T = Record<string, unknown>>(operation: string, body: object, signal?: AbortSignal): Promise<T> {
    const client = await this.#client();
    const response = await client.fetch(this.settings.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body: JSON.stringify(body),
      ...(signal !== undefined ? { signal } : {}),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      // a proxy's HTML error page, say: reported by status below
    }
    if (response.ok) return parsed as T;
    const type = String(parsed.__type ?? '').replace(/^.*#/, '') || `HTTP ${response.status}`;
    const message = String(parsed.message ?? parsed.Message ?? (text.slice(0, 200) || response.statusText));
    throw new DynamoDBError(type, response.status, `${type}: ${message}`, parsed.Item as Item | undefined);
  }
}
