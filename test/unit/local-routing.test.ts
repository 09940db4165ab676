// The function host's request routing: splitting a request target as a URL
// parser would, and matching it to serverless.yml's routes as API Gateway ranks them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseRequestTarget } from '../../src/local/request-target.js';
import { RouteTable } from '../../src/local/route-table.js';
import type { Route } from '../../src/local/routes.js';

/** Characters a URL parser treats specially somewhere, and plain ones. */
const TARGET_CHARS = [...'/?#.%2eEaZ09-_~!$&\'()*+,;=:@[]"<>\\^`{|} \t\x7f\x00é'];

describe('parseRequestTarget', () => {
  test('gives what a WHATWG URL parser gives, for any target (and throws where it throws)', () => {
    const target = fc
      .tuple(fc.constantFrom('/', '', '//', '/./'), fc.array(fc.constantFrom(...TARGET_CHARS), { maxLength: 16 }))
      .map(([start, chars]) => start + chars.join(''));
    fc.assert(
      fc.property(target, (raw) => {
        let url: URL;
        try {
          url = new URL(raw, 'http://localhost');
        } catch {
          assert.throws(() => parseRequestTarget(raw), TypeError);
          return;
        }
        assert.deepEqual(parseRequestTarget(raw), { path: url.pathname, query: url.search.slice(1) });
      }),
      { numRuns: 5_000 },
    );
  });

  test('targets as clients send them are split as they are', () => {
    assert.deepEqual(parseRequestTarget('/chat/lobby?last-id=1-0&x=%20'), { path: '/chat/lobby', query: 'last-id=1-0&x=%20' });
    assert.deepEqual(parseRequestTarget('/echo'), { path: '/echo', query: '' });
    assert.deepEqual(parseRequestTarget('/echo?'), { path: '/echo', query: '' });
  });
});

const route = (method: string, path: string, functionName = `${method} ${path}`): Route => ({
  kind: 'httpApi',
  functionName,
  method,
  path,
  timeoutSeconds: 6,
  load: () => Promise.reject(new Error('not loaded in this test')),
});

describe('RouteTable', () => {
  const table = new RouteTable([
    route('*', '*', 'catch-all'),
    route('*', '/chat/{room}', 'any-chat'),
    route('POST', '/chat/{room}', 'chat'),
    route('POST', '/chat/lobby', 'lobby'),
    route('GET', '/files/{path+}', 'files'),
    route('POST', '/a/{x}/b', 'axb'),
  ]);
  const name = (method: string, path: string) => table.match(method, path)?.compiled.route.functionName;

  test('an exact method and literal segments rank first; ANY next; the catch-all last', () => {
    assert.equal(name('POST', '/chat/lobby'), 'lobby');
    assert.equal(name('POST', '/chat/other'), 'chat');
    assert.equal(name('GET', '/chat/other'), 'any-chat');
    assert.equal(name('GET', '/elsewhere'), 'catch-all');
    assert.equal(name('POST', '/a/1/c'), 'catch-all');
  });

  test('parameters are decoded; {name+} takes the rest; empty segments do not count', () => {
    assert.deepEqual(table.match('POST', '/chat/a%20b')?.params, { room: 'a b' });
    assert.deepEqual(table.match('GET', '/files/x/y%2Fz/')?.params, { path: 'x/y/z' });
    assert.deepEqual(table.match('POST', '//chat//lobby')?.compiled.route.functionName, 'lobby');
    assert.equal(table.match('POST', '/chat/lobby')?.params, undefined);
    assert.equal(name('GET', '/files'), 'catch-all');
  });

  test('route keys are as API Gateway names them', () => {
    assert.equal(table.match('GET', '/x')?.compiled.routeKey, 'ANY *');
    assert.equal(table.match('POST', '/chat/x')?.compiled.routeKey, 'POST /chat/{room}');
  });

  test('a malformed %-escape in a parameter is a URIError; routesForPath lists every method', () => {
    assert.throws(() => table.match('POST', '/chat/%zz'), URIError);
    assert.deepEqual(
      new RouteTable([route('POST', '/news'), route('GET', '/news/{id}'), route('DELETE', '/news')])
        .routesForPath('/news')
        .map((r) => r.functionName),
      ['POST /news', 'DELETE /news'],
    );
  });
});
