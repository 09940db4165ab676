// The sequence-number store contract: what the chat's `pub`/`seq` marks
// and SequenceWatcher rely on. A backend runs it by passing a factory:
// runSequenceContract('redis', make, { shared: true }).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SequenceStore } from '../../src/publish/sequence.js';
import { type MakeName, randomName } from './names.js';

export type MakeSequenceStore = () => SequenceStore | Promise<SequenceStore>;

export interface SequenceContractOptions {
  /** Stores made by the factory share one numbering per channel (a store outside the process), rather than each its own. */
  readonly shared: boolean;
  /** Closes a store the factory made, when it holds anything. */
  readonly close?: (store: SequenceStore) => Promise<void>;
  /** The channel names the suite uses; random by default. */
  readonly makeName?: MakeName;
}

export function runSequenceContract(backend: string, make: MakeSequenceStore, options: SequenceContractOptions): void {
  const channel = () => (options.makeName ?? randomName)('channel');
  describe(`sequence store contract: ${backend}`, () => {
    const withStores = async (count: number, body: (stores: SequenceStore[]) => Promise<void>) => {
      const stores = await Promise.all(Array.from({ length: count }, () => make()));
      try {
        await body(stores);
      } finally {
        for (const store of stores) await options.close?.(store);
      }
    };

    test('one channel: seq 1, 2, 3... under one pub', () =>
      withStores(1, async ([store]) => {
        const name = channel();
        const marks = [];
        for (let i = 0; i < 5; i++) marks.push(await store!.next(name));
        assert.deepEqual(
          marks.map((m) => m.seq),
          [1, 2, 3, 4, 5],
        );
        assert.equal(new Set(marks.map((m) => m.pub)).size, 1);
        assert.equal(typeof marks[0]!.pub, 'string');
        assert.ok(marks[0]!.pub.length > 0);
      }));

    test('channels are numbered apart, each from 1', () =>
      withStores(1, async ([store]) => {
        const [a, b] = [channel(), channel()];
        await store!.next(a);
        await store!.next(a);
        assert.equal((await store!.next(b)).seq, 1);
        assert.equal((await store!.next(a)).seq, 3);
      }));

    test('marks asked for at once: each number once, in the order asked', () =>
      withStores(1, async ([store]) => {
        const name = channel();
        const marks = await Promise.all(Array.from({ length: 50 }, () => store!.next(name)));
        assert.deepEqual(
          marks.map((m) => m.seq),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      }));

    test(options.shared ? 'two stores (two containers) continue one numbering' : 'two stores (two containers) number apart', () =>
      withStores(2, async ([first, second]) => {
        const name = channel();
        const a = await first!.next(name);
        const b = await second!.next(name);
        if (options.shared) {
          assert.equal(b.pub, a.pub);
          assert.equal(b.seq, 2);
        } else {
          assert.notEqual(b.pub, a.pub);
          assert.equal(b.seq, 1);
        }
      }),
    );
  });
}
