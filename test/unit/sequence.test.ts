// Per-publisher, per-channel counts, and the client's view of them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelSequencer, SequenceWatcher } from '../../src/publish/sequence.js';

describe('ChannelSequencer', () => {
  test('counts each channel from 1, under one publisher id', () => {
    const sequencer = new ChannelSequencer('p1');
    assert.deepEqual(
      [sequencer.next('a'), sequencer.next('a'), sequencer.next('b'), sequencer.next('a')],
      [
        { pub: 'p1', seq: 1 },
        { pub: 'p1', seq: 2 },
        { pub: 'p1', seq: 1 },
        { pub: 'p1', seq: 3 },
      ],
    );
    assert.notEqual(new ChannelSequencer().pub, new ChannelSequencer().pub);
  });
});

describe('SequenceWatcher', () => {
  const see = (watcher: SequenceWatcher, seqs: number[], pub = 'p', channel = 'c') => {
    for (const seq of seqs) watcher.see(channel, { pub, seq });
    return watcher.missed;
  };

  test('nothing missed in order, from wherever the client came in', () => {
    assert.equal(see(new SequenceWatcher(), [5, 6, 7, 8]), 0);
  });

  test('a skip is counted, as many as were skipped', () => {
    assert.equal(see(new SequenceWatcher(), [1, 2, 5, 6, 9]), 4);
  });

  test('out of order is not a loss once the hole fills; duplicates count for nothing', () => {
    const watcher = new SequenceWatcher();
    assert.equal(see(watcher, [1, 3]), 1);
    assert.equal(see(watcher, [2, 3, 2]), 0);
  });

  test('publishers and channels are counted apart', () => {
    const watcher = new SequenceWatcher();
    see(watcher, [1, 2], 'p1');
    see(watcher, [7, 9], 'p2');
    see(watcher, [1, 3], 'p1', 'other');
    assert.equal(watcher.missed, 2);
  });

  test('a hole is given up on after `window` later marks, and stays counted', () => {
    const watcher = new SequenceWatcher(3);
    assert.equal(see(watcher, [1, 3, 4, 5, 6, 7]), 1);
    assert.equal(see(watcher, [2]), 1, 'too late: already counted as lost');
  });
});
