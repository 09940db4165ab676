// Connection meta: read from Meta-* headers, changed with checks, written as Set-Meta-*.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionMeta, MAX_META_NAME_LENGTH, MAX_META_VALUE_BYTES } from '../../src/websocket/meta.js';

function fromHeaders(headers: Record<string, string>): ConnectionMeta {
  return ConnectionMeta.fromHeaders(new Map(Object.entries(headers)));
}

function changes(meta: ConnectionMeta): Record<string, string> {
  const out: Record<string, string> = {};
  meta.changedHeaders(out);
  return out;
}

describe('ConnectionMeta', () => {
  test('changed: false until a value is set or deleted; changedHeaders then compares with the request', () => {
    const meta = fromHeaders({ 'meta-user': 'alice' });
    assert.equal(meta.changed, false);
    assert.deepEqual(changes(meta), {});
    meta.set('user', 'alice'); // the same value: changed, yet nothing to send
    assert.equal(meta.changed, true);
    assert.deepEqual(changes(meta), {});
    meta.set('room', 'lobby');
    meta.delete('user');
    assert.deepEqual(changes(meta), { 'Set-Meta-room': 'lobby', 'Set-Meta-user': '' });
    assert.deepEqual(fromHeaders({}).toJSON(), {});
    assert.deepEqual(new ConnectionMeta().toJSON(), {});
    assert.equal(new ConnectionMeta(new Map([['a', 'b']])).get('a'), 'b');
  });

  test('headers are read when meta is first used, not before', () => {
    const headers = new Map([['meta-user', 'alice']]);
    let reads = 0;
    const counted = {
      forEach: (fn: (value: string, name: string) => void) => {
        reads++;
        headers.forEach(fn);
      },
    } as unknown as ReadonlyMap<string, string>;
    const meta = ConnectionMeta.fromHeaders(counted);
    assert.equal(reads, 0);
    assert.equal(meta.get('user'), 'alice');
    assert.equal(meta.has('user'), true);
    assert.equal(reads, 1);
  });

  test('reads meta-* headers (lower-cased names) and ignores the rest', () => {
    const meta = fromHeaders({
      'meta-user': 'alice',
      'meta-room': 'lobby',
      'meta-': 'nameless',
      'content-type': 'application/websocket-events',
      'x-meta-user': 'mallory',
    });
    assert.deepEqual(meta.toJSON(), { user: 'alice', room: 'lobby' });
    assert.equal(meta.get('user'), 'alice');
    assert.equal(meta.get('USER'), 'alice');
    assert.equal(meta.has('Room'), true);
    assert.equal(meta.get('x'), undefined);
    assert.equal(meta.has(''), false);
  });

  test('no changes: no Set-Meta headers', () => {
    const meta = fromHeaders({ 'meta-user': 'alice' });
    assert.deepEqual(changes(meta), {});
    meta.set('user', 'alice'); // same value: not a change
    assert.deepEqual(changes(meta), {});
  });

  test('set, change and delete give Set-Meta headers for the changes only', () => {
    const meta = fromHeaders({ 'meta-user': 'alice', 'meta-room': 'lobby', 'meta-keep': 'k' });
    meta.set('User', 'bob');
    meta.set('lang', 'en');
    assert.equal(meta.delete('room'), true);
    assert.equal(meta.delete('never-set'), false);
    assert.equal(meta.get('user'), 'bob');
    assert.equal(meta.get('room'), undefined);
    assert.deepEqual(changes(meta), { 'Set-Meta-user': 'bob', 'Set-Meta-lang': 'en', 'Set-Meta-room': '' });
    assert.deepEqual(meta.toJSON(), { user: 'bob', keep: 'k', lang: 'en' });
  });

  test('setting the empty string deletes', () => {
    const meta = fromHeaders({ 'meta-user': 'alice' });
    meta.set('user', '');
    assert.equal(meta.has('user'), false);
    assert.deepEqual(changes(meta), { 'Set-Meta-user': '' });
  });

  test('set then delete of a new name is no change', () => {
    const meta = fromHeaders({});
    meta.set('tmp', 'x');
    meta.delete('tmp');
    assert.deepEqual(changes(meta), {});
  });

  test('set returns the meta for chaining', () => {
    const meta = fromHeaders({});
    assert.equal(meta.set('a', '1').set('b', '2'), meta);
    assert.deepEqual(
      [...meta.entries()],
      [
        ['a', '1'],
        ['b', '2'],
      ],
    );
  });

  test('values: visible ASCII, space and tab, up to the limit', () => {
    const meta = fromHeaders({});
    meta.set('ok', 'Hello, World! ~`{}[] \t tab');
    meta.set('max', 'x'.repeat(MAX_META_VALUE_BYTES));
    assert.equal(meta.get('max')!.length, MAX_META_VALUE_BYTES);
  });

  test('refused values are TypeErrors and change nothing', () => {
    const meta = fromHeaders({ 'meta-user': 'alice' });
    const bad = [
      'a\rb',
      'a\nb',
      'a\r\nSet-Meta-admin: 1',
      'a\0b',
      'caf\u00e9',
      '\u2713',
      '\x7f',
      '\x01',
      'x'.repeat(MAX_META_VALUE_BYTES + 1),
      42 as unknown as string,
    ];
    for (const value of bad) {
      assert.throws(() => meta.set('user', value), TypeError, `value ${JSON.stringify(value)}`);
    }
    assert.equal(meta.get('user'), 'alice');
    assert.deepEqual(changes(meta), {});
  });

  test('refused names are TypeErrors, for set and delete', () => {
    const meta = fromHeaders({});
    const bad = ['', 'has space', 'colon:name', 'a\r\nb', 'x'.repeat(MAX_META_NAME_LENGTH + 1), 'ünï', 'semi;colon', 'sl/ash', '(paren)'];
    for (const name of bad) {
      assert.throws(() => meta.set(name, 'v'), TypeError, `name ${JSON.stringify(name)}`);
      assert.throws(() => meta.delete(name), TypeError, `delete ${JSON.stringify(name)}`);
    }
    assert.throws(() => meta.set(undefined as unknown as string, 'v'), TypeError);
    meta.set('x'.repeat(MAX_META_NAME_LENGTH), 'v'); // the longest name allowed
    meta.set("tok!#$%&'*+-.^_`|~09", 'v'); // every token character
    assert.equal(meta.toJSON()['x'.repeat(MAX_META_NAME_LENGTH)], 'v');
  });
});
