/**
 * What the toolkit logs through, and the two writers it has of its own:
 * JSON lines as Lambda's JSON log format and Powertools Logger write them
 * (the default in Lambda), and `[grip-lambda] ...` text lines on the
 * console (the default elsewhere, and the local stack's).
 */

/** Lambda's log levels (`AWS_LAMBDA_LOG_LEVEL`), most verbose first. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** A level, or `SILENT` for no line at all. */
export type LogThreshold = LogLevel | 'SILENT';

const RANK: Readonly<Record<LogThreshold, number>> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, SILENT: 6 };

/** One log line's content: its message and fields (`requestId`, `connection_id`...). */
export interface LogEntry {
  readonly message: string;
  readonly [field: string]: unknown;
}

/**
 * What the toolkit logs through: each method takes one entry, its message
 * and fields together. A Powertools `Logger`, a `pino()` logger and
 * `console` all are one as they are: Powertools and pino write the fields
 * as fields of their JSON line (pino names the message `message`: give it
 * `messageKey: 'message'` to name its own lines' the same).
 */
export interface GripLogger {
  debug(entry: LogEntry): unknown;
  info(entry: LogEntry): unknown;
  warn(entry: LogEntry): unknown;
  error(entry: LogEntry): unknown;
}

/** Whether a line at `level` passes `threshold`. */
export function passes(level: LogLevel, threshold: LogThreshold): boolean {
  return RANK[level] >= RANK[threshold];
}

/**
 * Reads a level name as Lambda spells it (any case); undefined for unset.
 * @throws RangeError naming `what` for a name that is not a level.
 */
export function parseLogLevel(value: string | undefined, what: string): LogThreshold | undefined {
  if (value === undefined || value === '') return undefined;
  const level = value.trim().toUpperCase();
  if (level in RANK) return level as LogThreshold;
  throw new RangeError(`${what} must be one of ${Object.keys(RANK).join(', ')}, got ${JSON.stringify(value)}`);
}

/** Where a writer's lines go: one call per line, the line without its newline. */
export type LineSink = (line: string) => void;

/** Lines to standard output, as Lambda's runtime reads them: one write each, so a line is never split. */
export const stdoutSink: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface JsonLoggerOptions {
  /** Lines below it are not written (default INFO). */
  readonly level?: LogThreshold;
  /** Default standard output. */
  readonly sink?: LineSink;
  /** Fields on every line (e.g. `function_name`, `service`). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * JSON lines with the field names of Lambda's JSON log format (`timestamp`,
 * `level`, `message`, `requestId`) and Powertools Logger's
 * (`function_name`, `xray_trace_id`...), so Logs Insights queries written
 * for either read them.
 */
export function jsonLogger(options: JsonLoggerOptions = {}): GripLogger {
  const threshold = options.level ?? 'INFO';
  const sink = options.sink ?? stdoutSink;
  const fields = options.fields ?? {};
  const write = (level: LogLevel) => (entry: LogEntry) => {
    if (!passes(level, threshold)) return;
    sink(jsonLine(level, entry, fields));
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

/** One JSON log line: timestamp, level and message first, as Lambda writes them. */
export function jsonLine(level: LogLevel, entry: LogEntry, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ timestamp: new Date().toISOString(), level, ...fields, ...entry }, jsonSafe);
}

/**
 * An error as the plain fields every logger writes (pino and JSON.stringify
 * write an Error as `{}`): its name, message, stack and cause's message.
 */
export function errorFields(error: unknown): { name: string; message: string; stack?: string; cause?: string } {
  if (!(error instanceof Error)) return { name: 'thrown', message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(error.cause !== undefined ? { cause: error.cause instanceof Error ? error.cause.message : String(error.cause) } : {}),
  };
}

/** Errors as their name, message and stack (JSON.stringify writes `{}` for them); bigints as text. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.stack !== undefined ? { stack: value.stack } : {}) };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

export interface TextLoggerOptions {
  /** Lines below it are not written (default WARN: a person reads these). */
  readonly level?: LogThreshold;
}

/**
 * `[grip-lambda] message key=value ...` on the console: errors on
 * `console.error`, warnings on `console.warn`, the rest on `console.log`
 * (looked up at each line, so a test that replaces them sees them).
 */
export function textLogger(options: TextLoggerOptions = {}): GripLogger {
  const threshold = options.level ?? 'WARN';
  const write = (level: LogLevel, to: 'log' | 'warn' | 'error') => (entry: LogEntry) => {
    if (!passes(level, threshold)) return;
    console[to](textLine(entry));
  };
  return { debug: write('DEBUG', 'log'), info: write('INFO', 'log'), warn: write('WARN', 'warn'), error: write('ERROR', 'error') };
}

/** Fields the text line leaves out: known from the context a person reads it in. */
const TEXT_OMITTED = new Set(['message', 'function_name', 'requestId', 'xray_trace_id', 'cold_start']);

/**
 * `[grip-lambda] message key=value`; an `error` field follows the message
 * as `: Error: what` with its stack on the lines after.
 */
export function textLine(entry: LogEntry): string {
  let head = `[grip-lambda] ${entry.message}`;
  let fields = '';
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (TEXT_OMITTED.has(key) || value === undefined) continue;
    if (key === 'error') {
      const fields = value instanceof Error ? errorFields(value) : (value as { name?: string; message?: string; stack?: string });
      const text =
        typeof value === 'object' && value !== null
          ? (fields.stack ?? `${fields.name ?? 'Error'}: ${fields.message ?? ''}`)
          : String(value);
      const firstBreak = text.indexOf('\n');
      head += `: ${firstBreak === -1 ? text : text.slice(0, firstBreak)}`;
      if (firstBreak !== -1) stack = text.slice(firstBreak);
      continue;
    }
    fields += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value, jsonSafe)}`;
  }
  return head + fields + stack;
}

/** A logger that writes nothing. */
export const silentLogger: GripLogger = { debug() {}, info() {}, warn() {}, error() {} };
