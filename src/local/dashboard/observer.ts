import type { LocalInvocation, LocalObserver } from '../../observe/local-hook.js';
import { textLogger, type GripLogger, type LogEntry } from '../../observe/logger.js';
import { logLevelFrom } from '../../observe/settings.js';
import type { InvocationLog } from '../invocation-log.js';
import type { DashboardState } from './state.js';

/** Reports kept for the host's view of the same request, which comes after (the handler reports before it returns). */
const MAX_WAITING = 1000;

/**
 * What the local stack hears from its functions: their lines as text on
 * the console (at GRIP_LOG_LEVEL, default WARN: a person reads them), and
 * each invocation's report, joined to the host's view of the request by
 * its request id for the live view and the invocation lines.
 */
export class StackObserver implements LocalObserver {
  readonly logger: GripLogger;
  readonly #waiting = new Map<string, LocalInvocation>();

  constructor(state: DashboardState | undefined, onProblem?: () => void) {
    const text = textLogger({ level: logLevelFrom(process.env) });
    // Lines of an invocation reach the view with its report; the others (a store unreachable) on their own.
    const problem = (entry: LogEntry) => {
      if (state === undefined || entry['requestId'] !== undefined) return;
      state.problem(entry.message);
      onProblem?.();
    };
    this.logger = {
      debug: (entry) => text.debug(entry),
      info: (entry) => text.info(entry),
      warn: (entry) => {
        text.warn(entry);
        problem(entry);
      },
      error: (entry) => {
        text.error(entry);
        problem(entry);
      },
    };
  }

  invocation(invocation: LocalInvocation): void {
    const id = invocation.record.requestId;
    if (id === undefined) return;
    if (this.#waiting.size >= MAX_WAITING) this.#waiting.delete(this.#waiting.keys().next().value!);
    this.#waiting.set(id, invocation);
  }

  /** The function's report of the request the host logged, if it made one (a function on this toolkit does). */
  take(log: InvocationLog): LocalInvocation | undefined {
    if (log.requestId === undefined) return undefined;
    const reported = this.#waiting.get(log.requestId);
    this.#waiting.delete(log.requestId);
    return reported;
  }
}
