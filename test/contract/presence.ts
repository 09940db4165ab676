// The presence store contract: what enter/update/leave, keep-alive
// refreshes, the expiry of members that vanish, /who and counts, and the
// join and leave announcements rely on. A backend runs it by passing a
// factory: runPresenceContract('redis', make).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { PresenceMember, PresenceStore } from '../../src/presence/store.js';

export type MakePresenceStore = () => PresenceStore | Promise<PresenceStore>;

const room = () => `room-${randomUUID()}`;
const conn = () => `conn-${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LONG = 60_000;

async function withStore(make: MakePresenceStore, body: (store: PresenceStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

const byId = (members: PresenceMember[]) => [...members].sort((a, b) => a.connectionId.localeCompare(b.connectionId));

export function runPresenceContract(backend: string, make: MakePresenceStore): void {
  describe(`presence store contract: ${backend}`, () => {
    test('join: true for a new member, false for one already there, whose data is replaced', () =>
      withStore(make, async (store) => {
        const [r, c] = [room(), conn()];
        assert.equal(await store.join(r, { connectionId: c, userId: 'u1', data: { nick: 'ann' } }, LONG), true);
        assert.equal(await store.join(r, { connectionId: c, userId: 'u1', data: { nick: 'anna' } }, LONG), false);
        assert.deepEqual(await store.members(r), [{ connectionId: c, userId: 'u1', data: { nick: 'anna' } }]);
        assert.equal(await store.count(r), 1);
      }));

    test('members and counts: every member with its data; rooms are apart', () =>
      withStore(make, async (store) => {
        const [r, other] = [room(), room()];
        const members: PresenceMember[] = [
          { connectionId: conn(), data: { nick: 'a', tags: ['x', 1, null] } },
          { connectionId: conn(), userId: 'user-b' },
          { connectionId: conn(), data: 'plain ✓' },
        ];
        for (const member of members) await store.join(r, member, LONG);
        await store.join(other, { connectionId: conn() }, LONG);
        assert.deepEqual(byId(await store.members(r)), byId(members));
        assert.equal(await store.count(r), 3);
        assert.equal(await store.count(other), 1);
        assert.equal(await store.count(room()), 0);
        assert.deepEqual(await store.members(room()), []);
      }));

    test('leave: the member as it was, once; then gone from the room and from the rooms of its connection', () =>
      withStore(make, async (store) => {
        const [r, kept, c] = [room(), room(), conn()];
        const member = { connectionId: c, data: { nick: 'cy' } };
        await store.join(r, member, LONG);
        await store.join(kept, member, LONG);
        assert.deepEqual((await store.rooms(c)).sort(), [kept, r].sort());
        assert.deepEqual(await store.leave(r, c), member);
        assert.equal(await store.leave(r, c), undefined);
        assert.equal(await store.count(r), 0);
        assert.deepEqual(await store.rooms(c), [kept]);
        assert.equal(await store.count(kept), 1);
      }));

    test('forget: the connection has no rooms any more', () =>
      withStore(make, async (store) => {
        const [r, c] = [room(), conn()];
        await store.join(r, { connectionId: c }, LONG);
        await store.leave(r, c);
        await store.forget(c);
        assert.deepEqual(await store.rooms(c), []);
        assert.deepEqual(await store.refresh(c, LONG), []);
      }));

    test('expiry: a member not refreshed in time is never listed or counted, and expire hands it out once', () =>
      withStore(make, async (store) => {
        const [r, c, stays] = [room(), conn(), conn()];
        await store.join(r, { connectionId: c, data: { nick: 'gone' } }, 300);
        await store.join(r, { connectionId: stays }, LONG);
        await sleep(700);
        assert.deepEqual(await store.members(r), [{ connectionId: stays }], 'not listed, removed or not');
        assert.equal(await store.count(r), 1);
        const expired = (await Promise.all([store.expire(r), store.expire(r), store.expire(r)])).flat();
        assert.deepEqual(expired, [{ connectionId: c, data: { nick: 'gone' } }], 'handed out once, to one caller');
        assert.deepEqual(await store.expire(r), []);
        assert.equal(await store.leave(r, c), undefined, 'nothing left to leave');
      }));

    test('refresh: keeps the connection in every room it joined past its first lifetime, and names those rooms', () =>
      withStore(make, async (store) => {
        const [a, b, c] = [room(), room(), conn()];
        await store.join(a, { connectionId: c }, 600);
        await store.join(b, { connectionId: c }, 600);
        await sleep(300);
        assert.deepEqual((await store.refresh(c, LONG)).sort(), [a, b].sort());
        await sleep(600);
        assert.equal(await store.count(a), 1);
        assert.equal(await store.count(b), 1);
        assert.deepEqual(await store.expire(a), []);
      }));

    test('a refresh does not bring a member back into a room it left', () =>
      withStore(make, async (store) => {
        const [r, c] = [room(), conn()];
        await store.join(r, { connectionId: c }, LONG);
        await store.leave(r, c);
        await store.refresh(c, LONG);
        assert.equal(await store.count(r), 0);
      }));

    test('an empty room or connection id is refused with a clear error', () =>
      withStore(make, async (store) => {
        await assert.rejects(store.join('', { connectionId: conn() }, LONG), /room must be a non-empty string/);
        await assert.rejects(store.count(''), /room must be a non-empty string/);
        await assert.rejects(store.join(room(), { connectionId: '' }, LONG), /connection id must be a non-empty string/);
      }));
  });
}
