/**
 * The rules of CloudWatch's Embedded Metric Format specification that a
 * document must keep for CloudWatch Logs to extract its metrics, checked
 * on a parsed log line. Returns what is wrong, nothing when it is valid.
 */
/** CloudWatch's `StandardUnit` list, as its API reference gives it. */
const UNITS = new Set<string>([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export function emfProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = document['_aws'] as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object' || aws === null) return ['no _aws object'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 0)
    problems.push('_aws.Timestamp is not a number of ms since the epoch');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) return [...problems, 'no CloudWatchMetrics array'];
  for (const [d, directive] of (aws.CloudWatchMetrics as Record<string, unknown>[]).entries()) {
    const where = `CloudWatchMetrics[${d}]`;
    const namespace = directive['Namespace'];
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255)
      problems.push(`${where}.Namespace is not 1-255 characters`);
    const dimensions = directive['Dimensions'];
    if (!Array.isArray(dimensions)) problems.push(`${where}.Dimensions is not an array`);
    else {
      for (const set of dimensions as unknown[]) {
        if (!Array.isArray(set) || set.length > 30) {
          problems.push(`${where}: a dimension set is not an array of at most 30 names`);
          continue;
        }
        for (const name of set as unknown[]) {
          if (typeof name !== 'string') problems.push(`${where}: a dimension name is not a string`);
          else if (typeof document[name] !== 'string' || (document[name] as string).length === 0)
            problems.push(`${where}: dimension ${name} has no string value at the root`);
        }
      }
    }
    const metrics = directive['Metrics'];
    if (!Array.isArray(metrics)) {
      problems.push(`${where}.Metrics is not an array`);
      continue;
    }
    if (metrics.length > 100) problems.push(`${where} defines ${metrics.length} metrics, over 100`);
    for (const metric of metrics as Record<string, unknown>[]) {
      const name = metric['Name'];
      if (typeof name !== 'string' || name.length < 1 || name.length > 1024) {
        problems.push(`${where}: a metric has no name of 1-1024 characters`);
        continue;
      }
      if (metric['Unit'] !== undefined && !UNITS.has(metric['Unit'] as string))
        problems.push(`${name}: unit ${String(metric['Unit'])} is not CloudWatch's`);
      const value = document[name];
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || values.length > 100 || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))
        problems.push(`${name}: no number (or array of at most 100 numbers) at the root`);
    }
  }
  return problems;
}
