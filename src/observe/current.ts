import { errorFields } from './logger.js';
import type { GripLogger, LogEntry } from './logger.js';
import { localObserver } from './local-hook.js';
import type { InvocationInfo, Observation } from './observation.js';
import { defaultLogger } from './settings.js';

/**
 * Lines the toolkit writes, and what user code reads about the invocation
 * it runs in. The invocation in progress is found through the reader the
 * invocation module registers (its AsyncLocalStorage), so that code deep
 * in the toolkit (stores, the publisher) logs with the invocation's fields
 * and to its handler's logger without being handed either.
 */

let readCurrent: () => Observation | undefined = () => undefined;

/** Registers how to find the invocation in progress (lambda/invocation.ts does, when loaded). */
export function setCurrentObservationReader(reader: () => Observation | undefined): void {
  readCurrent = reader;
}

/** The observation of the invocation in progress, if any. */
export function currentObservation(): Observation | undefined {
  return readCurrent();
}

let processLogger: GripLogger | undefined;

/**
 * The logger for lines no invocation owns (a store reconnecting, a relay's
 * record): the local stack's while one runs, else the first logger a
 * handler of this process was given, else the default for process.env.
 */
export function processWideLogger(): GripLogger {
  return localObserver()?.logger ?? (processLogger ??= defaultLogger(process.env));
}

/** A handler was given `logger`: the first one becomes the process's for lines no invocation owns. */
export function adoptLogger(logger: GripLogger): void {
  processLogger ??= logger;
}

/** Writes a line: with the current invocation's fields and to its logger inside one, to the process's outside. */
export function log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>): void {
  const entry: LogEntry = fields === undefined ? { message } : { message, ...fields };
  const observation = readCurrent();
  if (observation !== undefined) observation.log(level, entry);
  else processWideLogger()[level](entry);
}

/** An error line: `message`, and the error as its `error` field (its stack where a logger writes one). */
export function logError(message: string, error: unknown, fields?: Readonly<Record<string, unknown>>): void {
  log('error', message, { ...fields, error: errorFields(error) });
}

/**
 * What the current invocation is: its function, Lambda request id, X-Ray
 * trace id and WebSocket connection id; undefined outside a handler made
 * by this toolkit.
 */
export function invocationInfo(): InvocationInfo | undefined {
  const observation = readCurrent();
  if (observation === undefined) return undefined;
  return {
    functionName: observation.functionName,
    requestId: observation.requestId,
    traceId: observation.traceId,
    connectionId: observation.connectionId,
  };
}

/**
 * A logger for user code: inside a handler, the handler's logger with the
 * invocation's fields on every line (`requestId`, `connection_id`...);
 * outside one, the process's.
 */
export function getLogger(): GripLogger {
  return boundLogger;
}

const boundLogger: GripLogger = {
  debug: (entry) => lineFor('debug', entry),
  info: (entry) => lineFor('info', entry),
  warn: (entry) => lineFor('warn', entry),
  error: (entry) => lineFor('error', entry),
};

function lineFor(level: 'debug' | 'info' | 'warn' | 'error', entry: LogEntry): void {
  const observation = readCurrent();
  if (observation !== undefined) observation.log(level, entry);
  else processWideLogger()[level](entry);
}
