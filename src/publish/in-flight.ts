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
  while (busy.size > 0) {
    const publishers = [...busy];
    await Promise.all(publishers.map((p) => p.flush()));
    for (const p of publishers) if (p.idle) busy.delete(p);
  }
}
