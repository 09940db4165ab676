import { jsonLogger, parseLogLevel, passes, stdoutSink, textLogger, type GripLogger, type LineSink, type LogThreshold } from './logger.js';
import { checkNamespace, type MetricsSettings } from './metrics.js';

/** The observability options every handler factory takes (with `GripOptions`). */
export interface ObserveOptions {
  /**
   * Where the handler's lines go: its errors, and one line per invocation
   * at INFO. A Powertools `Logger`, a `pino()` logger, `console` or your
   * own. Default: JSON lines on standard output in Lambda, `[grip-lambda]`
   * text lines on the console elsewhere (the local stack's own).
   */
  readonly logger?: GripLogger;
  /**
   * The toolkit's log level: overrides GRIP_LOG_LEVEL, which overrides
   * Lambda's AWS_LAMBDA_LOG_LEVEL. Default INFO in Lambda (a line per
   * invocation), WARN elsewhere. Ignored for an injected `logger`, which
   * filters by its own.
   */
  readonly logLevel?: LogThreshold;
  /**
   * CloudWatch EMF metrics, a document per invocation on standard output:
   * on in Lambda, off elsewhere; `false` (or GRIP_METRICS=off) turns them
   * off, `true` (or GRIP_METRICS=on) on.
   */
  readonly metrics?: boolean;
  /** An OpenTelemetry span per invocation when `@opentelemetry/api` is installed (default); `false` for none. */
  readonly tracing?: boolean;
}

/** The environment variables read here (a subset of `process.env`). */
export interface ObserveEnv {
  readonly AWS_LAMBDA_FUNCTION_NAME?: string | undefined;
  readonly AWS_LAMBDA_LOG_LEVEL?: string | undefined;
  readonly GRIP_LOG_LEVEL?: string | undefined;
  readonly GRIP_METRICS?: string | undefined;
  readonly GRIP_METRICS_NAMESPACE?: string | undefined;
}

/** What a handler observes with, read once when it is made. */
export interface ObserveSettings {
  /** The handler's own logger (its `logger` option). */
  readonly injectedLogger: GripLogger | undefined;
  /** The default logger, for handlers without one (the local stack replaces it with its own). */
  readonly logger: GripLogger;
  /**
   * True when the invocation line is the toolkit's own JSON and Lambda keeps
   * INFO lines: then it carries the metrics too, one line instead of two.
   * Otherwise the metrics go on a line of their own, with no level for
   * Lambda's log-level filter to drop it by.
   */
  readonly metricsInLogLine: boolean;
  /** Whether a line per invocation is written (the level lets INFO through). */
  readonly invocationLines: boolean;
  readonly metrics: MetricsSettings | undefined;
  readonly tracing: boolean;
  /** Where the toolkit's own JSON and EMF lines go. */
  readonly sink: LineSink;
  /** The function's name when no Lambda context names it. */
  readonly functionName: string;
}

/** Whether this process is a Lambda function's (the runtime sets AWS_LAMBDA_FUNCTION_NAME). */
export function inLambda(env: ObserveEnv): boolean {
  return env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_LAMBDA_FUNCTION_NAME !== '';
}

/** The level the toolkit's own writers use: the option, GRIP_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL, then INFO in Lambda and WARN elsewhere. */
export function logLevelFrom(env: ObserveEnv, option?: LogThreshold): LogThreshold {
  return (
    option ??
    parseLogLevel(env.GRIP_LOG_LEVEL, 'GRIP_LOG_LEVEL') ??
    parseLogLevel(env.AWS_LAMBDA_LOG_LEVEL, 'AWS_LAMBDA_LOG_LEVEL') ??
    (inLambda(env) ? 'INFO' : 'WARN')
  );
}

/** The toolkit's default logger for `env`: JSON lines in Lambda, text lines elsewhere. */
export function defaultLogger(env: ObserveEnv, level: LogThreshold = logLevelFrom(env), sink: LineSink = stdoutSink): GripLogger {
  return inLambda(env) ? jsonLogger({ level, sink }) : textLogger({ level });
}

function metricsSwitch(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new RangeError(`GRIP_METRICS must be on or off, got ${JSON.stringify(value)}`);
}

/**
 * Reads the options and environment once, when the handler is made.
 * @throws RangeError naming the variable for a level, switch or namespace that cannot be used.
 */
export function readObserveSettings(options: ObserveOptions, env: ObserveEnv, sink: LineSink = stdoutSink): ObserveSettings {
  const level = logLevelFrom(env, options.logLevel);
  const metricsOn = options.metrics ?? metricsSwitch(env.GRIP_METRICS) ?? inLambda(env);
  return {
    injectedLogger: options.logger,
    logger: defaultLogger(env, level, sink),
    metricsInLogLine:
      options.logger === undefined &&
      inLambda(env) &&
      passes('INFO', parseLogLevel(env.AWS_LAMBDA_LOG_LEVEL, 'AWS_LAMBDA_LOG_LEVEL') ?? 'INFO'),
    // An injected logger filters by its own level: it is handed every invocation line.
    invocationLines: options.logger !== undefined || passes('INFO', level),
    metrics: metricsOn ? { namespace: checkNamespace(env.GRIP_METRICS_NAMESPACE ?? 'grip-lambda') } : undefined,
    tracing: options.tracing ?? true,
    sink,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'function',
  };
}
