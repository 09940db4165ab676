// `grip-lambda proxy-config`: the production nodes' files, as written, and
// run by a real Pushpin and zurl (with loopback addresses and free ports in
// place of the production ones, the only differences).
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GripSigVerifier } from '../../src/auth/grip-sig.js';
import { readVerifyKeys } from '../../src/config.js';
import { proxyConfigCommand } from '../../src/local/proxy-config-command.js';
import { runPushpin } from '../../src/local/pushpin.js';
import { freePort } from '../../src/local/stack.js';

const API = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com';
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grip-pc-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await proxyConfigCommand(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Writes one node's files for `origin` under `dir/name`, on free local ports, and runs that node under real Pushpin. */
async function runGeneratedNode(name: string, origin: string) {
  const [httpPort, controlPort] = [await freePort(), await freePort()];
  const out = join(dir, name);
  const result = await run([
    '--origin',
    origin,
    '--out',
    out,
    '--private-addrs',
    '127.0.0.1',
    '--http-port',
    String(httpPort),
    '--control-port',
    String(controlPort),
    '--run-dir',
    join(out, 'run'),
    '--log-dir',
    join(out, 'log'),
  ]);
  assert.equal(result.code, 0, result.err);
  return { out, node: await runPushpin(join(out, 'node-1'), { httpPort, controlPort, logDir: join(out, 'log') }) };
}

/** The `key=value` lines of a pushpin.conf, by section. */
function settings(conf: string): Record<string, string> {
  const values: Record<string, string> = {};
  let section = '';
  for (const line of conf.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) section = header[1]!;
    const pair = /^(\w+)=(.*)$/.exec(line);
    if (pair !== null) values[`${section}.${pair[1]}`] = pair[2]!;
  }
  return values;
}

describe('proxy-config', () => {
  test('bad arguments: usage and exit code 2; a public control address or a count that does not match: exit 1, saying why', async () => {
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /--origin and --out are required/);
    assert.match(none.err, /Usage: grip-lambda proxy-config/);
    assert.equal((await run(['--origin', API, '--out', dir, '--colour'])).code, 2);
    const unknownOrigin = await run(['--origin', 'ftp://x', '--out', dir]);
    assert.equal(unknownOrigin.code, 1);
    assert.match(unknownOrigin.err, /origin must be an http\(s\) URL/);
    const publicAddr = await run(['--origin', API, '--out', dir, '--private-addrs', '8.8.8.8']);
    assert.equal(publicAddr.code, 1);
    assert.match(publicAddr.err, /"8\.8\.8\.8" is not a private IP address/);
    const mismatch = await run(['--origin', API, '--out', dir, '--nodes', '3', '--private-addrs', '10.0.1.5,10.0.1.6']);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.err, /--nodes 3 needs 3 private addresses, got 2/);
  });

  test('three production nodes: control API on each private address, the signing key from a file only its owner reads, the API as origin', async () => {
    const out = join(dir, 'prod');
    const result = await run(['--origin', `${API}/prod`, '--out', out, '--nodes', '3']);
    assert.equal(result.code, 0, result.err);
    for (let n = 1; n <= 3; n++) {
      const node = join(out, `node-${n}`);
      const conf = await readFile(join(node, 'pushpin.conf'), 'utf8');
      const s = settings(conf);
      assert.equal(s['handler.push_in_http_addr'], `10.0.1.${10 + n}`);
      assert.equal(s['handler.push_in_http_port'], '5561');
      assert.equal(s['runner.http_port'], '7999');
      assert.equal(s['proxy.sig_key'], 'file:grip-sig.key');
      assert.equal(s['proxy.sig_iss'], 'pushpin');
      assert.equal(s['runner.client_buffer_size'], '262144');
      assert.equal(s['handler.message_rate'], undefined);
      assert.equal(s['handler.message_hwm'], '1000000');
      // ZeroMQ inputs are IPC sockets: nothing else listens on the network.
      for (const key of ['handler.push_in_spec', 'handler.push_in_sub_specs', 'handler.command_spec', 'handler.stats_spec'])
        assert.match(s[key]!, /^ipc:\/\/\/run\/pushpin\//, key);
      assert.match(conf, /up to 500 MiB per 1,000 connections/);
      assert.equal(
        await readFile(join(node, 'routes'), 'utf8'),
        '*,path_beg=/,replace_beg=/prod/ abc123defg.execute-api.eu-west-1.amazonaws.com:443,ssl,over_http,host=abc123defg.execute-api.eu-west-1.amazonaws.com\n',
      );
      assert.equal((await stat(join(node, 'grip-sig.key'))).mode & 0o777, 0o600);
    }
    const env = await readFile(join(out, 'functions.env'), 'utf8');
    assert.match(env, /^GRIP_URL=http:\/\/10\.0\.1\.11:5561,http:\/\/10\.0\.1\.12:5561,http:\/\/10\.0\.1\.13:5561$/m);
    assert.match(env, /^GRIP_VERIFY_ISS=pushpin$/m);
    assert.match(env, /^GRIP_MAX_MESSAGE_BYTES=278526$/m, 'what a node with B = 262144 carries at once');
    // GRIP_VERIFY_KEY is the public half of the key every node signs with.
    const verifyKey = /^GRIP_VERIFY_KEY=base64:(.+)$/m.exec(env)![1]!;
    const publicPem = Buffer.from(verifyKey, 'base64').toString('utf8');
    assert.equal(publicPem, await readFile(join(out, 'grip-verify-key.pem'), 'utf8'));
    const signing = createPrivateKey(await readFile(join(out, 'node-2', 'grip-sig.key'), 'utf8'));
    assert.equal(signing.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(createPublicKey(signing).export({ type: 'spki', format: 'pem' }), publicPem);
  });

  test("--client-buffer-size: the nodes' buffer and the functions' message cap follow it; one Pushpin cannot use is refused", async () => {
    const out = join(dir, 'chat-sized');
    assert.equal((await run(['--origin', API, '--out', out, '--client-buffer-size', '65536'])).code, 0);
    assert.equal(settings(await readFile(join(out, 'node-1', 'pushpin.conf'), 'utf8'))['runner.client_buffer_size'], '65536');
    assert.match(await readFile(join(out, 'functions.env'), 'utf8'), /^GRIP_MAX_MESSAGE_BYTES=81918$/m);
    const tiny = await run(['--origin', API, '--out', join(dir, 'tiny'), '--client-buffer-size', '12']);
    assert.equal(tiny.code, 1);
    assert.match(tiny.err, /client_buffer_size must be a whole number of bytes >= 1024, got 12/);
    await assert.rejects(stat(join(dir, 'tiny')), 'nothing written');
  });

  test('--signing-key uses the key given; a key Pushpin cannot sign ES256 or RS256 with is refused', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(dir, 'mine.pem');
    await writeFile(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const out = join(dir, 'given');
    assert.equal((await run(['--origin', API, '--out', out, '--signing-key', keyFile])).code, 0);
    assert.equal(await readFile(join(out, 'grip-verify-key.pem'), 'utf8'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const ed = join(dir, 'ed.pem');
    await writeFile(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const refused = await run(['--origin', API, '--out', join(dir, 'ed'), '--signing-key', ed]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /EC \(P-256\) or RSA private key/);
  });

  describe('run by Pushpin', () => {
    let origin: Server;
    const seen: { path: string; gripSig: string | undefined; host: string | undefined }[] = [];
    before(async () => {
      origin = createServer((req, res) => {
        seen.push({ path: req.url ?? '', gripSig: req.headers['grip-sig'] as string | undefined, host: req.headers.host });
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('origin\n');
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', () => resolve()));
    });
    after(() => new Promise<void>((resolve) => origin.close(() => resolve())));

    test("a node from the generated files proxies to the origin with a Grip-Sig the functions' settings verify, and its control API takes publishes", async () => {
      const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
      const { out, node } = await runGeneratedNode('local', `${originUrl}/stage`);
      try {
        const answer = await fetch(`${node.httpUrl}/hello?x=1`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(await answer.text(), 'origin\n');
        const request = seen.filter((r) => r.path.startsWith('/stage/hello')).at(-1)!;
        assert.equal(request.path, '/stage/hello?x=1', 'the stage prefix is added');
        assert.equal(request.host, new URL(originUrl).host, "the origin's own Host");
        const env = Object.fromEntries(
          (await readFile(join(out, 'functions.env'), 'utf8'))
            .trim()
            .split('\n')
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        const verifier = new GripSigVerifier(readVerifyKeys(env));
        assert.deepEqual(await verifier.verify(request.gripSig), { ok: true });
        assert.equal(JSON.parse(Buffer.from(request.gripSig!.split('.')[0]!, 'base64url').toString()).alg, 'ES256');

        const published = await fetch(`${env.GRIP_URL}/publish/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ items: [{ channel: 'c', formats: { 'ws-message': { content: 'x' } } }] }),
        });
        assert.equal(published.status, 200, await published.text());
        const log = await readFile(join(out, 'log', 'pushpin.log'), 'utf8');
        assert.match(log, /routes loaded with 1 entries/);
        assert.doesNotMatch(log, /\[(WARN|ERR)/);
      } finally {
        await node.stop();
      }
    });

    test('the production route to an API over TLS (ssl, host=, the stage) is accepted by Pushpin as written', async () => {
      const { out, node } = await runGeneratedNode('tls', `${API}/prod`);
      const log = await readFile(join(out, 'log', 'pushpin.log'), 'utf8'); // before stopping, which logs warnings of its own
      await node.stop();
      assert.match(log, /routes loaded with 1 entries/);
      assert.doesNotMatch(log, /\[(WARN|ERR)/);
    });
  });
});
