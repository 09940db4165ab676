/**
 * Publishers with work under way, so that a handler can wait for every
 * publish its invocation made before returning (Lambda freezes the
 * container after that). Kept apart from the publisher so that a function
 * that never publishes does not load the publishing code.
 */
export interface Flushable {
  flush(): Promise<void>;
  readonly idle: boolean;
}

const busy = new Set<Flushable>();

export function markBusy(publisher: Flushable): void {
  busy.add(publisher);
}

/** Resolves once every publisher with work under way has sent it. @throws nothing: publish failures reach their callers. */
export async function flushPublishers(): Promise<void> {
  // Each flush waits for the calling invocation's publishes, not for everyone's: under
  // concurrent invocations, publishers are never idle, and waiting for that starved them.
  const flushed = new Set<Flushable>();
  for (;;) {
    const publishers = [...busy].filter((p) => !flushed.has(p));
    if (publishers.length === 0) break;
    for (const p of publishers) flushed.add(p);
    await Promise.all(publishers.map((p) => p.flush()));
  }
  for (const p of flushed) if (p.idle) busy.delete(p);
}
