// The text of Pushpin's, zurl's and haproxy's config files, and the checks on what goes into them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderHaproxyConf } from '../../src/local/haproxy.js';
import { defaultPrivateAddrs, isPrivateAddress } from '../../src/local/proxy-config.js';
import { originFromUrl, renderPushpinConf, renderRoutes, renderZurlConf, type PushpinNodeConfig } from '../../src/local/pushpin-config.js';

const node: PushpinNodeConfig = {
  runDir: '/run/p',
  logDir: '/var/log/p',
  httpPort: 7999,
  controlAddr: '10.0.1.11',
  controlPort: 5561,
  sigIss: 'pushpin',
  sigKey: { file: 'grip-sig.key' },
  settings: { clientBufferSize: 65536, messageRate: null, messageHwm: 1000 },
};

describe('Pushpin node config', () => {
  test("pushpin.conf: zurl's sockets, the control address, the key file, the settings (an unset rate is left out)", () => {
    const lines = renderPushpinConf(node).split('\n');
    for (const line of [
      'rundir=/run/p',
      'services=condure,pushpin-proxy,pushpin-handler',
      'client_buffer_size=65536',
      'zurl_out_specs=ipc:///run/p/zurl-in',
      'zurl_in_specs=ipc:///run/p/zurl-out',
      'sig_key=file:grip-sig.key',
      'push_in_http_addr=10.0.1.11',
      'push_in_http_port=5561',
      'message_hwm=1000',
    ]) {
      assert.ok(lines.includes(line), line);
    }
    assert.ok(!lines.some((l) => l.startsWith('message_rate=')));
    assert.ok(
      renderPushpinConf({ ...node, settings: { clientBufferSize: 8192, messageRate: 2500, messageHwm: 25000 } }).includes(
        '\nmessage_rate=2500\n',
      ),
    );
    assert.ok(renderPushpinConf({ ...node, sigKey: { secret: 's3cret' } }).includes('\nsig_key=s3cret\n'));
  });

  test('zurl.conf binds the sockets pushpin.conf points at', () => {
    const zurl = renderZurlConf('/run/p');
    assert.match(zurl, /^in_spec=ipc:\/\/\/run\/p\/zurl-in$/m);
    assert.match(zurl, /^in_stream_spec=ipc:\/\/\/run\/p\/zurl-in-stream$/m);
    assert.match(zurl, /^out_spec=ipc:\/\/\/run\/p\/zurl-out$/m);
  });

  test('a value with a line break (which would add a setting) is a TypeError, not a config', () => {
    assert.throws(() => renderPushpinConf({ ...node, sigKey: { secret: 'x\nupdates_check=report' } }), TypeError);
    assert.throws(() => renderPushpinConf({ ...node, controlAddr: '' }), TypeError);
    assert.throws(() => renderRoutes({ host: 'a\n* evil:80', port: 1, tls: false }), TypeError);
  });

  test('routes: the local function host; an API over TLS with its Host and stage; extra routes first', () => {
    assert.equal(renderRoutes({ host: '127.0.0.1', port: 3000, tls: false }), '* 127.0.0.1:3000,over_http\n');
    assert.equal(
      renderRoutes(originFromUrl('https://abc.execute-api.us-east-1.amazonaws.com/prod/')),
      '*,path_beg=/,replace_beg=/prod/ abc.execute-api.us-east-1.amazonaws.com:443,ssl,over_http,host=abc.execute-api.us-east-1.amazonaws.com\n',
    );
    assert.equal(
      renderRoutes(originFromUrl('http://10.0.0.5:8080'), ['*,path_beg=/x 127.0.0.1:9']),
      '*,path_beg=/x 127.0.0.1:9\n* 10.0.0.5:8080,over_http,host=10.0.0.5:8080\n',
    );
  });

  test('an origin that is not a plain http(s) URL is refused', () => {
    for (const bad of ['abc.execute-api.amazonaws.com', 'ftp://x', 'https://x/?a=1', 'https://u:p@x/', 'https://x/#f']) {
      assert.throws(() => originFromUrl(bad), TypeError, bad);
    }
  });

  test('private addresses: loopback, RFC 1918, link-local, IPv6 ULA; not public ones or names', () => {
    for (const addr of [
      '10.0.1.11',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
    ])
      assert.ok(isPrivateAddress(addr), addr);
    for (const addr of ['8.8.8.8', '172.32.0.1', '11.0.0.1', '2001:db8::1', 'localhost', '']) assert.ok(!isPrivateAddress(addr), addr);
    assert.deepEqual(defaultPrivateAddrs(3), ['10.0.1.11', '10.0.1.12', '10.0.1.13']);
    assert.throws(() => defaultPrivateAddrs(0), RangeError);
  });

  test('haproxy.cfg: TCP, roundrobin, one server a node with a health check, redispatch', () => {
    const conf = renderHaproxyConf({ port: 8000, nodePorts: [9001, 9002], statsSocket: '/run/h.sock' });
    for (const line of [
      '  mode tcp',
      '  balance roundrobin',
      '  option redispatch',
      '  bind 127.0.0.1:8000',
      '  server node-1 127.0.0.1:9001 check inter 500ms fall 1 rise 1',
      '  server node-2 127.0.0.1:9002 check inter 500ms fall 1 rise 1',
    ]) {
      assert.ok(conf.split('\n').includes(line), line);
    }
  });
});

describe('startCluster', () => {
  test('without haproxy on PATH: a clear error at once, naming the package, and nothing started', async () => {
    const { startCluster } = await import('../../src/local/cluster.js');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    const started = Date.now();
    try {
      await assert.rejects(
        startCluster({
          runDir: '/tmp/none',
          logDir: '/tmp/none',
          httpPort: 1,
          nodePorts: [{ httpPort: 2, controlPort: 3 }],
          originPort: 4,
          settings: { clientBufferSize: 8192, messageRate: null, messageHwm: 1 },
          signingKeyPem: '',
        }),
        /haproxy not found on PATH.*apt-get install -y haproxy/,
      );
    } finally {
      process.env.PATH = path;
    }
    assert.ok(Date.now() - started < 1_000);
  });
});

describe('startStack({ proxies })', () => {
  test('a count that is not a whole number of at least 1 is a RangeError, before anything starts', async () => {
    const { startStack } = await import('../../src/local/stack.js');
    for (const proxies of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(startStack({ root: '/nonexistent', proxies }), RangeError, String(proxies));
    }
  });
});
