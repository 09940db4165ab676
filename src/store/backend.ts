/**
 * Which store the functions' feeds, presence and sequence numbers use,
 * from the environment: REDIS_URL selects Redis, DYNAMODB_TABLE selects
 * DynamoDB (with the AWS SDK's standard settings: AWS_REGION, credentials,
 * AWS_ENDPOINT_URL_DYNAMODB for a local endpoint), neither means no store.
 */
export type StoreBackend = { readonly kind: 'redis'; readonly url: string } | { readonly kind: 'dynamodb'; readonly table: string };

export interface StoreEnv {
  readonly REDIS_URL?: string | undefined;
  readonly DYNAMODB_TABLE?: string | undefined;
}

/**
 * The backend `env` selects, or undefined for none.
 * @throws Error when both are set: one store holds a channel's history, never two.
 */
export function storeBackend(env: StoreEnv = process.env): StoreBackend | undefined {
  const url = env.REDIS_URL;
  const table = env.DYNAMODB_TABLE;
  if (url && table) {
    throw new Error(
      `REDIS_URL and DYNAMODB_TABLE are both set (REDIS_URL=${redactUrl(url)}, DYNAMODB_TABLE=${table}): the feeds, presence and sequence numbers use one store; unset one of them`,
    );
  }
  if (table) return { kind: 'dynamodb', table };
  if (url) return { kind: 'redis', url };
  return undefined;
}

/** The URL without its password, for an error message. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
