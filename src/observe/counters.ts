/**
 * Counts kept by the process for what no single invocation owns: a
 * publisher's control requests are shared by every invocation the process
 * serves, so an invocation reports the change over its own run.
 */
export const processCounters = {
  /** Control requests sent again after a failed attempt. */
  publishRetries: 0,
};
