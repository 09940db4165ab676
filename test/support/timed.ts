/** How long `operation` took, and what it threw (undefined when it did not): for tests of bounded failures. */
export async function timed(operation: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await operation();
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}
