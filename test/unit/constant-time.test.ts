// constantTimeEqual (src/auth/constant-time.ts), the compare Grip-Sig
// checks and the publish example's bearer token share: equal exactly when
// the bytes are, for texts (as UTF-8) and bytes alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constantTimeEqual } from '../../src/index.js';

test('equal texts and bytes are equal; any difference, in any position or length, is not', () => {
  assert.equal(constantTimeEqual('', ''), true);
  assert.equal(constantTimeEqual('Bearer s3cret', 'Bearer s3cret'), true);
  assert.equal(constantTimeEqual(Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  const secret = 'Bearer s3cret';
  for (let i = 0; i < secret.length; i++) {
    const changed = secret.slice(0, i) + String.fromCharCode(secret.charCodeAt(i) ^ 1) + secret.slice(i + 1);
    assert.equal(constantTimeEqual(changed, secret), false, `differs at ${i}`);
  }
  assert.equal(constantTimeEqual(secret, `${secret}x`), false);
  assert.equal(constantTimeEqual(secret.slice(0, -1), secret), false);
  assert.equal(constantTimeEqual('', secret), false);
});

test('texts compare as UTF-8, so a text and its bytes are equal, and texts of equal length in characters but not bytes are not', () => {
  assert.equal(constantTimeEqual('é', Buffer.from('é', 'utf8')), true);
  assert.equal(constantTimeEqual('é', 'e'), false);
  assert.equal(constantTimeEqual('\u00e9', 'e\u0301'), false); // the same letter, other bytes
});
