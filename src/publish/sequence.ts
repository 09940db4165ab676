/** Where a published message stands in its publisher's sequence on its channel. */
export interface SequenceMark {
  /** The publisher (one per container), random: a restarted container starts a sequence of its own. */
  readonly pub: string;
  /** 1 for the publisher's first message on the channel, then one more for each. */
  readonly seq: number;
}

/**
 * Where the marks come from: the sequence-number store. `ChannelSequencer`
 * numbers in memory, per container (no round trip, and marks even while a
 * store is down); `RedisSequences` (grip-lambda/feed) keeps one numbering
 * per channel for every container. test/contract/sequences.ts is the suite
 * every implementation passes.
 */
export interface SequenceStore {
  /**
   * The mark for the next message on `channel`: for one `pub`, `seq` goes
   * 1, 2, 3... in the order the calls were made. Take marks in the order
   * the messages are published. A store that cannot answer fails with
   * StoreUnavailableError within a bounded time.
   */
  next(channel: string): SequenceMark | PromiseLike<SequenceMark>;
}

/**
 * Numbers what one publisher publishes on each channel, in memory. The proxy can drop a
 * published message for a client without a word (a full buffer, a burst over
 * its high-water mark); a client that sees `seq` skip for a `pub` knows it
 * missed messages, even without a feed to recover them from. Marks must be
 * taken in the order the messages are published, which is the order
 * `GripPublisher` sends them in.
 */
export class ChannelSequencer implements SequenceStore {
  readonly pub: string;
  readonly #last = new Map<string, number>();

  constructor(pub: string = publisherId()) {
    this.pub = pub;
  }

  /** The mark for the next message on `channel`. */
  next(channel: string): SequenceMark {
    const seq = (this.#last.get(channel) ?? 0) + 1;
    this.#last.set(channel, seq);
    return { pub: this.pub, seq };
  }
}

/**
 * The client's side: how many messages it has not seen, per publisher and
 * channel. Marks may arrive out of order (a sender's own copy comes in the
 * function's answer, ahead of other publishes still on their way), so a hole
 * counts as missed until the message fills it; after `window` later marks it
 * is taken for lost. The first mark seen from a publisher starts its count (a
 * client that joins late has missed nothing it could have had).
 */
export class SequenceWatcher {
  readonly #streams = new Map<string, { upTo: number; ahead: Set<number>; lost: number }>();
  readonly #window: number;

  constructor(window = 256) {
    this.#window = window;
  }

  /** Records a mark (duplicates and replays are ignored). */
  see(channel: string, mark: SequenceMark): void {
    const key = `${mark.pub}\u0000${channel}`;
    const stream = this.#streams.get(key);
    if (stream === undefined) {
      this.#streams.set(key, { upTo: mark.seq, ahead: new Set(), lost: 0 });
      return;
    }
    if (mark.seq <= stream.upTo) return;
    stream.ahead.add(mark.seq);
    for (;;) {
      if (stream.ahead.delete(stream.upTo + 1)) stream.upTo++;
      else if (stream.ahead.size > this.#window) {
        stream.upTo++; // given up on: lost
        stream.lost++;
      } else break;
    }
  }

  /** Messages not seen so far: those given up on, and the holes still open. */
  get missed(): number {
    let missed = 0;
    for (const { upTo, ahead, lost } of this.#streams.values()) {
      missed += lost;
      if (ahead.size > 0) missed += Math.max(...ahead) - upTo - ahead.size;
    }
    return missed;
  }
}

/**
 * 48 random bits, as 8 base64url characters. From Math.random, not
 * node:crypto: the id only tells one container's sequence from another's
 * (nothing in it is secret), and loading node:crypto sets up OpenSSL,
 * about 3.5 ms of the cold start of every function that publishes.
 */
function publisherId(): string {
  const bytes = Buffer.alloc(6);
  bytes.writeUIntBE(Math.floor(Math.random() * 2 ** 48), 0, 6);
  return bytes.toString('base64url');
}
