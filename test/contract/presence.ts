// The presence store contract: what enter/update/leave, keep-alive
// refreshes, the expiry of members that vanish, /who and counts, and the
// join and leave announcements rely on; and the per-user connection count
// (admit under a limit, renew, release, expiry) the connection limit of
// withClientAuth relies on. A backend runs it by passing a
// factory: runPresenceContract('redis', make).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PresenceMember, PresenceStore } from '../../src/presence/store.js';
import { type MakeName, randomName } from './names.js';

export type MakePresenceStore = () => PresenceStore | Promise<PresenceStore>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Sleeps until `Date.now()` is past `time` (plus a margin for the store's clock). */
const sleepPast = (time: number) => sleep(Math.max(0, time + 300 - Date.now()));
const LONG = 60_000;
/**
 * A lifetime that what a test renews at once outlives on a loaded machine
 * (the renewal follows the join within this time, however slow the store).
 */
const SHORT = 1_500;

async function withStore(make: MakePresenceStore, body: (store: PresenceStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

const byId = (members: PresenceMember[]) => [...members].sort((a, b) => a.connectionId.localeCompare(b.connectionId));

export function runPresenceContract(backend: string, make: MakePresenceStore, makeName: MakeName = randomName): void {
  const room = () => makeName('room');
  const conn = () => makeName('connection');
  const user = () => makeName('user');
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
        const joined = Date.now();
        await store.join(a, { connectionId: c }, SHORT);
        await store.join(b, { connectionId: c }, SHORT);
        assert.deepEqual((await store.refresh(c, LONG)).sort(), [a, b].sort());
        await sleepPast(joined + SHORT);
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

  describe(`presence store contract, connections per user: ${backend}`, () => {
    test('admit: up to max connections per user, the next refused; other users apart; an admitted one again is no second place', () =>
      withStore(make, async (store) => {
        const [u, other] = [user(), user()];
        const [a, b, c] = [conn(), conn(), conn()];
        assert.equal(await store.admitUserConnection(u, a, 2, LONG), true);
        assert.equal(await store.admitUserConnection(u, b, 2, LONG), true);
        assert.equal(await store.admitUserConnection(u, c, 2, LONG), false, 'the third of two');
        assert.equal(await store.admitUserConnection(u, a, 2, LONG), true, 'already counted: admitted, not counted twice');
        assert.equal(await store.countUserConnections(u), 2);
        assert.equal(await store.admitUserConnection(other, c, 2, LONG), true, 'another user has places of its own');
        assert.equal(await store.countUserConnections(other), 1);
        assert.equal(await store.countUserConnections(user()), 0);
        assert.equal(await store.admitUserConnection(u, conn(), 3, LONG), true, 'a higher limit has room');
      }));

    test('admit is atomic: of 12 concurrent admissions under a limit of 3, exactly 3 pass', () =>
      withStore(make, async (store) => {
        const u = user();
        const admitted = await Promise.all(Array.from({ length: 12 }, () => store.admitUserConnection(u, conn(), 3, LONG)));
        assert.equal(admitted.filter(Boolean).length, 3);
        assert.equal(await store.countUserConnections(u), 3);
      }));

    test('release: frees the place, once', () =>
      withStore(make, async (store) => {
        const [u, a, b] = [user(), conn(), conn()];
        await store.admitUserConnection(u, a, 1, LONG);
        assert.equal(await store.admitUserConnection(u, b, 1, LONG), false);
        assert.equal(await store.releaseUserConnection(u, a), true);
        assert.equal(await store.releaseUserConnection(u, a), false);
        assert.equal(await store.countUserConnections(u), 0);
        assert.equal(await store.admitUserConnection(u, b, 1, LONG), true);
      }));

    test('expiry: a connection not renewed in time is not counted and its place is free; a renewed one stays past its first lifetime', () =>
      withStore(make, async (store) => {
        const [u, vanished, kept, next] = [user(), conn(), conn(), conn()];
        const admitted = Date.now();
        await store.admitUserConnection(u, vanished, 2, 400);
        await store.admitUserConnection(u, kept, 2, SHORT);
        assert.equal(await store.renewUserConnection(u, kept, LONG), true, 'counted when renewed');
        await sleepPast(admitted + SHORT);
        assert.equal(await store.countUserConnections(u), 1, 'the vanished one is not counted');
        assert.equal(await store.admitUserConnection(u, next, 2, LONG), true, "its place is free, the renewed one's is not");
        assert.equal(await store.admitUserConnection(u, conn(), 2, LONG), false);
        assert.equal(await store.releaseUserConnection(u, vanished), false, 'nothing counted to release');
      }));

    test('renew puts back a connection whose entry had expired, whatever the limit: a live connection is counted', () =>
      withStore(make, async (store) => {
        const [u, late, newer] = [user(), conn(), conn()];
        await store.admitUserConnection(u, late, 1, 200);
        await sleep(400);
        assert.equal(await store.admitUserConnection(u, newer, 1, LONG), true, 'the expired one takes no place');
        assert.equal(await store.renewUserConnection(u, late, LONG), false, 'it was not counted');
        assert.equal(await store.countUserConnections(u), 2);
        assert.equal(await store.renewUserConnection(u, late, LONG), true);
        assert.equal(await store.admitUserConnection(u, conn(), 2, LONG), false);
      }));

    test('user connections are no room members, and leave rooms and counts alone', () =>
      withStore(make, async (store) => {
        const [u, r, c] = [user(), room(), conn()];
        await store.join(r, { connectionId: c, userId: u }, LONG);
        await store.admitUserConnection(u, c, 1, LONG);
        assert.deepEqual(await store.rooms(c), [r]);
        assert.equal(await store.count(r), 1);
        await store.leave(r, c);
        await store.forget(c);
        assert.equal(await store.countUserConnections(u), 1, 'leaving rooms releases nothing');
        assert.equal(await store.count(r), 0);
        assert.deepEqual(await store.expire(r), []);
      }));

    test('an empty user or connection id, or a limit below 1, is refused with a clear error', () =>
      withStore(make, async (store) => {
        await assert.rejects(store.admitUserConnection('', conn(), 1, LONG), /user id must be a non-empty string/);
        await assert.rejects(store.admitUserConnection(user(), '', 1, LONG), /connection id must be a non-empty string/);
        await assert.rejects(store.admitUserConnection(user(), conn(), 0, LONG), /max must be a whole number >= 1, got 0/);
        await assert.rejects(store.admitUserConnection(user(), conn(), 1.5, LONG), /max must be a whole number >= 1/);
        await assert.rejects(store.renewUserConnection('', conn(), LONG), /user id must be a non-empty string/);
        await assert.rejects(store.releaseUserConnection(user(), ''), /connection id must be a non-empty string/);
        await assert.rejects(store.countUserConnections(''), /user id must be a non-empty string/);
      }));
  });
}
