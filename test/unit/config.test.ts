// readGripSettings: publishing clients and Grip-Sig verify keys from GRIP_* variables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as jose from 'jose';
import { parseGripUri, PUBLIC_KEY_FASTLY_FANOUT_JWK } from '@fanoutio/grip';
import { buildFanoutGripUrl } from '@fanoutio/grip/fastly-fanout';
import { readGripSettings, readVerifyKeys } from '../../src/config.js';
import { GripSigVerifier } from '../../src/auth/grip-sig.js';
import { readKeyMaterial, type VerifyKeyMaterial } from '../../src/auth/keys.js';
import { signGripSig } from '../support/lambda-events.js';

/** The shared secret a verify key holds, as the verifier reads it. */
const keyBytes = (key: VerifyKeyMaterial): string => {
  const material = readKeyMaterial(key);
  assert.equal(material.kind, 'secret', `expected a shared secret, got ${String(key)}`);
  return Buffer.from(material.kind === 'secret' ? material.secret : []).toString('utf8');
};

/** The public key a verify key holds, as the verifier reads it. */
const publicSource = (key: VerifyKeyMaterial) => {
  const material = readKeyMaterial(key);
  assert.equal(material.kind, 'public', `expected a public key, got ${String(key)}`);
  return material.kind === 'public' ? material.source : undefined;
};

describe('readGripSettings', () => {
  test('nothing set: no clients, no keys, no prefix', () => {
    assert.deepEqual(readGripSettings({}), { clients: [], verifyKeys: [], prefix: '' });
  });

  test('GRIP_URL with iss and key: one client, and the key verifies (no issuer check)', () => {
    const settings = readGripSettings({ GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme' });
    assert.equal(settings.clients.length, 1);
    assert.equal(settings.clients[0]!.publishUri, 'http://localhost:5561/publish/');
    assert.equal(settings.verifyKeys.length, 1);
    assert.equal(keyBytes(settings.verifyKeys[0]!.key), 'changeme');
    assert.equal(settings.verifyKeys[0]!.issuer, undefined);
  });

  test('a base64: key is decoded', () => {
    const settings = readGripSettings({
      GRIP_URL: `http://localhost:5561?iss=pushpin&key=base64:${Buffer.from('s3cret').toString('base64')}`,
    });
    assert.equal(keyBytes(settings.verifyKeys[0]!.key), 's3cret');
  });

  test('GRIP_URL without a key: a client, no verify key', () => {
    const settings = readGripSettings({ GRIP_URL: 'http://localhost:5561/' });
    assert.equal(settings.clients.length, 1);
    assert.deepEqual(settings.verifyKeys, []);
  });

  test('verify-key and verify-iss in the URL', () => {
    const settings = readGripSettings({ GRIP_URL: 'https://api.fastly.com/service/SID?key=TOKEN&verify-iss=fastly:SID&verify-key=vkey' });
    assert.equal(settings.clients[0]!.publishUri, 'https://api.fastly.com/service/SID/publish/');
    assert.equal(settings.verifyKeys.length, 1);
    assert.equal(keyBytes(settings.verifyKeys[0]!.key), 'vkey');
    assert.equal(settings.verifyKeys[0]!.issuer, 'fastly:SID');
  });

  test('GRIP_VERIFY_KEY alone (no GRIP_URL): one key, no clients', () => {
    const settings = readGripSettings({ GRIP_VERIFY_KEY: 'changeme' });
    assert.deepEqual(settings.clients, []);
    assert.deepEqual(settings.verifyKeys, [{ key: 'changeme', issuer: undefined }]);
  });

  test('GRIP_VERIFY_KEY fills in for a GRIP_URL without a verify key', async () => {
    const { publicKey } = await jose.generateKeyPair('ES256');
    const pem = await jose.exportSPKI(publicKey);
    const settings = readGripSettings({ GRIP_URL: 'https://api.fastly.com/service/SID?key=TOKEN', GRIP_VERIFY_KEY: pem });
    assert.equal(settings.verifyKeys.length, 1);
    assert.deepEqual(publicSource(settings.verifyKeys[0]!.key), { pem });
  });

  test('a verify key in the URL wins over GRIP_VERIFY_KEY', () => {
    const settings = readGripSettings({ GRIP_URL: 'http://h/?key=TOKEN&verify-key=from-url', GRIP_VERIFY_KEY: 'other' });
    assert.deepEqual(
      settings.verifyKeys.map((k) => keyBytes(k.key)),
      ['from-url'],
    );
  });

  test('GRIP_VERIFY_KEY is for proxies without a key: a shared key (iss + key) is kept', () => {
    const settings = readGripSettings({ GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme', GRIP_VERIFY_KEY: 'other' });
    assert.deepEqual(
      settings.verifyKeys.map((k) => keyBytes(k.key)),
      ['changeme'],
    );
  });

  test('Pushpin (shared key) and Fastly (GRIP_VERIFY_KEY) together: each keeps its own key', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const pem = await jose.exportSPKI(publicKey);
    const settings = readGripSettings({
      GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme,https://api.fastly.com/service/SID?key=TOKEN&verify-iss=fastly:SID',
      GRIP_VERIFY_KEY: pem,
    });
    assert.equal(settings.verifyKeys.length, 2);
    assert.equal(keyBytes(settings.verifyKeys[0]!.key), 'changeme');
    assert.deepEqual(publicSource(settings.verifyKeys[1]!.key), { pem });
    assert.equal(settings.verifyKeys[1]!.issuer, 'fastly:SID');
    // Requests signed by either proxy pass.
    const verifier = new GripSigVerifier(settings.verifyKeys);
    assert.deepEqual(await verifier.verify(await signGripSig()), { ok: true });
    const fastly = await new jose.SignJWT({ iss: 'fastly:SID' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('1h')
      .sign(privateKey);
    assert.deepEqual(await verifier.verify(fastly), { ok: true });
  });

  test("a URL from @fanoutio/grip buildFanoutGripUrl: Fanout's public key and issuer, from the URL alone", async () => {
    const settings = readGripSettings({ GRIP_URL: buildFanoutGripUrl({ serviceId: 'SID', apiToken: 'TOKEN' }) });
    assert.equal(settings.clients[0]!.publishUri, 'https://api.fastly.com/service/SID/publish/');
    assert.equal(settings.verifyKeys.length, 1);
    assert.deepEqual(publicSource(settings.verifyKeys[0]!.key), { jwk: PUBLIC_KEY_FASTLY_FANOUT_JWK });
    assert.equal(settings.verifyKeys[0]!.issuer, 'fastly:SID');
    // The same shape with a key pair of our own: its ES256 tokens pass, others do not.
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const ours = readGripSettings({
      GRIP_URL: buildFanoutGripUrl({ serviceId: 'SID', apiToken: 'TOKEN', verifyKey: await jose.exportJWK(publicKey) }),
    });
    const verifier = new GripSigVerifier(ours.verifyKeys);
    const sign = (iss: string) => new jose.SignJWT({ iss }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h').sign(privateKey);
    assert.deepEqual(await verifier.verify(await sign('fastly:SID')), { ok: true });
    assert.equal((await verifier.verify(await sign('fastly:OTHER'))).ok, false);
  });

  test('several URLs, separated by commas and/or whitespace', () => {
    const settings = readGripSettings({
      GRIP_URL: ' http://a.example:5561?iss=pushpin&key=k1 ,http://b.example:5561?iss=pushpin&key=k2\n\thttp://c.example/ ',
    });
    assert.deepEqual(
      settings.clients.map((c) => c.publishUri),
      ['http://a.example:5561/publish/', 'http://b.example:5561/publish/', 'http://c.example/publish/'],
    );
    assert.deepEqual(
      settings.verifyKeys.map((k) => keyBytes(k.key)),
      ['k1', 'k2'],
    );
  });

  test('GRIP_VERIFY_ISS sets the issuer, over verify-iss in the URL', () => {
    const plain = readGripSettings({ GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme', GRIP_VERIFY_ISS: 'pushpin' });
    assert.equal(plain.verifyKeys[0]!.issuer, 'pushpin');
    const over = readGripSettings({ GRIP_URL: 'http://h/?key=k&verify-key=v&verify-iss=url-iss', GRIP_VERIFY_ISS: 'env-iss' });
    assert.equal(over.verifyKeys[0]!.issuer, 'env-iss');
    const alone = readGripSettings({ GRIP_VERIFY_KEY: 'k', GRIP_VERIFY_ISS: 'pushpin' });
    assert.deepEqual(alone.verifyKeys, [{ key: 'k', issuer: 'pushpin' }]);
  });

  test('GRIP_PREFIX', () => {
    assert.equal(readGripSettings({ GRIP_PREFIX: 'app-' }).prefix, 'app-');
  });

  test('a URL that cannot be parsed: an Error naming GRIP_URL and the value', () => {
    assert.throws(
      () => readGripSettings({ GRIP_URL: 'not a url' }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^GRIP_URL is not a valid URL/);
        // Split on whitespace, the first piece is the one reported.
        assert.match(error.message, /"not"/);
        return true;
      },
    );
    assert.throws(() => readGripSettings({ GRIP_URL: 'http://ok.example/, ://broken' }), /GRIP_URL is not a valid URL: ":\/\/broken"/);
  });

  test('the keys read verify tokens: shared key end to end', async () => {
    const verifier = new GripSigVerifier(
      readGripSettings({ GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme', GRIP_VERIFY_ISS: 'pushpin' }).verifyKeys,
    );
    assert.equal(verifier.required, true);
    assert.deepEqual(await verifier.verify(await signGripSig()), { ok: true });
    assert.equal((await verifier.verify(await signGripSig({ iss: 'x' }))).ok, false);
    assert.equal((await verifier.verify(undefined)).ok, false);
    assert.equal(new GripSigVerifier(readGripSettings({}).verifyKeys).required, false);
  });

  test('verify keys read GRIP_URL query parameters as @fanoutio/grip does: +, %-escapes (malformed too), repeats, fragments', () => {
    const urls = [
      'http://h/?iss=pushpin&key=a+b',
      'http://h/?iss=pushpin&key=a%2Bb%3D%3D',
      'http://h/?iss=pushpin&key=a%zzb%41',
      'http://h/?iss=pushpin&key=first&key=second',
      'http://h/?iss=pushpin&key=k#key=fragment',
      'http://h/?iss=&key=k',
      'http://h/?iss=pushpin&key=',
      'http://h/?key=k&verify-key=v%2F1&verify-iss=fastly%3ASID',
      'http://h/?verify-key&verify-iss=x',
      'http://h/?&&iss=p&&key=k&',
      'http://h/?%69ss=p&k%65y=k',
      'http://user:pass@h:5561/path/?iss=p&key=caf%C3%A9',
      'http://h/?iss=p&key=%E2%82',
      'http://h/?iss=p&key=%',
      'http://h/?iss=p&key=%4',
      'http://h/?iss=p&key=%C3%A9%zz+%41',
    ];
    for (const url of urls) {
      const config = parseGripUri(url);
      let key = config.verify_key ?? undefined;
      if (key == null && config.control_iss != null && config.key != null) key = config.key;
      const expected = key == null ? [] : [{ key, issuer: config.verify_iss ?? undefined }];
      assert.deepEqual(readVerifyKeys({ GRIP_URL: url }), expected, url);
    }
  });
});

describe('readKeyMaterial: what reads as a PEM', () => {
  // The rule as it was written before it was checked by hand: any PEM label, after any leading whitespace.
  const PEM = /^\s*-----BEGIN [A-Z0-9 ]+-----/;
  const texts = [
    '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----',
    '  \n\t-----BEGIN RSA PUBLIC KEY-----',
    '\u00a0\ufeff-----BEGIN CERTIFICATE-----',
    '-----BEGIN EC PRIVATE KEY 2-----',
    '-----BEGIN -----',
    '-----BEGIN public key-----',
    '-----BEGIN PUBLIC KEY----',
    '-----BEGIN PUBLIC-KEY-----',
    '-----BEGINPUBLIC KEY-----',
    'x-----BEGIN PUBLIC KEY-----',
    '-----BEGIN ',
    'changeme',
    '',
  ];
  for (const text of texts) {
    test(JSON.stringify(text), () => {
      assert.equal(readKeyMaterial(text).kind, PEM.test(text) ? 'public' : 'secret');
    });
  }
});
