/**
 * The path the stack probes Pushpin with at start; never a function's. The
 * host answers it with a stream hold, so the probe passes only once the
 * proxy can hand held requests to Pushpin's handler (see pushpin.ts).
 */
export const READY_PATH = '/.grip-lambda-ready';
/** Marks the probe's held answer, so the probe knows to drop a stream that never ends. */
export const READY_HEADER = 'X-Grip-Lambda-Ready';
/** The probe's answer: a stream hold on a channel nothing publishes to. */
export const READY_HOLD = {
  'Content-Type': 'text/plain',
  'Grip-Hold': 'stream',
  'Grip-Channel': 'grip-lambda-ready',
  [READY_HEADER]: 'held',
};
