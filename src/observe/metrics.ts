/**
 * CloudWatch Embedded Metric Format: metrics as a JSON log line, which
 * CloudWatch Logs turns into metrics with no SDK and no request. One
 * document per invocation, written with the invocation's log line (or on
 * its own line when that is off).
 */

/** The units of CloudWatch's `StandardUnit` list used here (test/support/emf.ts checks against the whole list). */
export type EmfUnit = 'Count' | 'Bytes' | 'Milliseconds';

/** The metrics an invocation reports, by name, with their units. */
export const INVOCATION_METRICS = {
  /** WebSocket connections accepted (an OPEN answered with OPEN). */
  ConnectionsOpened: 'Count',
  /** WebSocket connections that ended in this invocation, either side closing, by `CloseCode`. */
  ConnectionsClosed: 'Count',
  /** TEXT and BINARY messages from clients, and to them in responses (control messages not counted). */
  MessagesIn: 'Count',
  MessagesOut: 'Count',
  /** Those messages' payload bytes. */
  BytesIn: 'Bytes',
  BytesOut: 'Bytes',
  /** Publishes made (one per `publish`, `publishBatch` or target call) and the ones that failed. */
  Publishes: 'Count',
  PublishFailures: 'Count',
  /** Control requests sent again after a failed attempt, in this process during the invocation. */
  PublishRetries: 'Count',
  /** Requests refused for a missing or bad Grip-Sig. */
  GripSigRejections: 'Count',
  /** Invocations that failed in user code (500, or 1011 for a WebSocket). */
  Errors: 'Count',
  /** From the event in to the answer out, publishes awaited included. */
  HandlerDuration: 'Milliseconds',
} as const satisfies Record<string, EmfUnit>;

export type InvocationMetricName = keyof typeof INVOCATION_METRICS;

/** CloudWatch's cap on metrics in one EMF directive. */
export const MAX_METRICS_PER_DOCUMENT = 100;

/** The dimension every metric has: the function (its name, or the service's when set). */
export const FUNCTION_DIMENSION = 'function';
/** The second dimension of ConnectionsClosed. */
export const CLOSE_CODE_DIMENSION = 'CloseCode';

export interface MetricsSettings {
  /** CloudWatch namespace (GRIP_METRICS_NAMESPACE; default `grip-lambda`). */
  readonly namespace: string;
}

/**
 * The `_aws` member and metric values of one invocation's EMF document, to
 * merge into a log line: every metric defined has its value as a member,
 * the dimension values are members too. `closeCode`, when the connection
 * ended, adds a directive for ConnectionsClosed by code.
 */
export function emfMembers(
  settings: MetricsSettings,
  functionName: string,
  values: Readonly<Partial<Record<InvocationMetricName, number>>>,
  closeCode: number | undefined,
  timestamp = Date.now(),
): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const metrics: { Name: string; Unit: EmfUnit }[] = [];
  for (const name in values) {
    const value = values[name as InvocationMetricName];
    if (value === undefined || name === 'ConnectionsClosed') continue;
    metrics.push({ Name: name, Unit: INVOCATION_METRICS[name as InvocationMetricName] });
    members[name] = value;
  }
  const directives: object[] = [{ Namespace: settings.namespace, Dimensions: [[FUNCTION_DIMENSION]], Metrics: metrics }];
  if (closeCode !== undefined) {
    directives.push({
      Namespace: settings.namespace,
      Dimensions: [[FUNCTION_DIMENSION, CLOSE_CODE_DIMENSION]],
      Metrics: [{ Name: 'ConnectionsClosed', Unit: 'Count' }],
    });
    members['ConnectionsClosed'] = 1;
    members[CLOSE_CODE_DIMENSION] = String(closeCode);
  }
  members[FUNCTION_DIMENSION] = functionName;
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: directives }, ...members };
}

/** The directives' JSON for one set of metric names, made once per set: invocations repeat a few sets. */
const directivesCache = new Map<string, string>();

function directivesJson(namespace: string, names: readonly string[], withClose: boolean): string {
  const key = `${namespace}\n${names.join(',')}\n${withClose}`;
  let json = directivesCache.get(key);
  if (json === undefined) {
    const directives: object[] = [
      {
        Namespace: namespace,
        Dimensions: [[FUNCTION_DIMENSION]],
        Metrics: names.map((name) => ({ Name: name, Unit: INVOCATION_METRICS[name as InvocationMetricName] })),
      },
    ];
    if (withClose) {
      directives.push({
        Namespace: namespace,
        Dimensions: [[FUNCTION_DIMENSION, CLOSE_CODE_DIMENSION]],
        Metrics: [{ Name: 'ConnectionsClosed', Unit: 'Count' }],
      });
    }
    json = JSON.stringify(directives);
    directivesCache.set(key, json);
  }
  return json;
}

/**
 * `emfMembers` as JSON members (`"_aws":{...},"MessagesIn":1,...`, no
 * braces), to end a log line or to make one: the same document, written
 * without building it as an object (it goes out once per invocation).
 */
export function emfJson(
  settings: MetricsSettings,
  functionName: string,
  values: Readonly<Partial<Record<InvocationMetricName, number>>>,
  closeCode: number | undefined,
  timestamp = Date.now(),
): string {
  const names: string[] = [];
  let members = '';
  for (const name in values) {
    const value = values[name as InvocationMetricName];
    if (value === undefined || name === 'ConnectionsClosed') continue;
    names.push(name);
    members += `,"${name}":${value}`;
  }
  if (closeCode !== undefined) members += `,"ConnectionsClosed":1,"${CLOSE_CODE_DIMENSION}":"${closeCode}"`;
  return `"_aws":{"Timestamp":${timestamp},"CloudWatchMetrics":${directivesJson(settings.namespace, names, closeCode !== undefined)}}${members},"${FUNCTION_DIMENSION}":${JSON.stringify(functionName)}`;
}

/**
 * CloudWatch's namespace rule: 1-255 of letters, digits and `._-/#:` and
 * space, not blank, and not under `AWS/` (AWS's own).
 * @throws RangeError for a namespace CloudWatch refuses.
 */
export function checkNamespace(namespace: string): string {
  if (!/^[0-9A-Za-z._\-/#: ]{1,255}$/.test(namespace) || namespace.trim() === '' || namespace.startsWith('AWS/')) {
    throw new RangeError(
      `a metrics namespace must be 1-255 of letters, digits, ._-/#: and space, not under AWS/, got ${JSON.stringify(namespace)}`,
    );
  }
  return namespace;
}
