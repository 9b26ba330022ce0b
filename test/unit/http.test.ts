import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient, HttpClient, HttpError } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';

const NO_DISCOVERY = { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 };

describe('a CA file per source', () => {
  let dir: string;
  let signed: https.Server;
  let selfSigned: https.Server;
  let url: string;
  let selfSignedUrl: string;
  const pem = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const serve = async (key: string, cert: string) => {
    const server = https.createServer({ key: readFileSync(pem(key)), cert: readFileSync(pem(cert)) }, (_q, r) => {
      r.setHeader('Content-Type', 'application/json');
      r.end('[{"id":"app-1","name":"tls","attempts":[]}]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'so-tls-'));
    // Made for this test only: a CA and a certificate for 127.0.0.1 that it signed (a company's
    // own CA), and a certificate that signed itself.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Spark Observatory test CA', '-keyout', pem('ca.key'), '-out', pem('ca.pem'));
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', pem('key.pem'), '-out', pem('server.csr'));
    writeFileSync(pem('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', pem('server.csr'), '-CA', pem('ca.pem'), '-CAkey', pem('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', pem('ext.cnf'), '-out', pem('cert.pem'));
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', pem('self.key'), '-out', pem('self.pem'));
    ({ server: signed, url } = await serve('key.pem', 'cert.pem'));
    ({ server: selfSigned, url: selfSignedUrl } = await serve('self.key', 'self.pem'));
  });
  after(() => {
    signed.close();
    selfSigned.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const certificateError = (e: unknown) => e instanceof HttpError && e.kind === 'tls' && /certificate/.test(e.message) && /caFile/.test(e.message);

  test('a source signed by an unknown CA, or self-signed, is a certificate error that names the caFile setting', async () => {
    await assert.rejects(createHttpClient({ baseUrl: url, timeoutMs: 2000 }).getJson('api/v1/applications'), certificateError);
    await assert.rejects(createHttpClient({ baseUrl: selfSignedUrl, timeoutMs: 2000 }).getJson('api/v1/applications'), certificateError);
  });
  test('and read with it, for that source only', async () => {
    const body = await createHttpClient({ baseUrl: url, timeoutMs: 2000, caFile: pem('ca.pem') }).getJson('api/v1/applications');
    assert.deepEqual(body, [{ id: 'app-1', name: 'tls', attempts: [] }]);
    assert.deepEqual(await createHttpClient({ baseUrl: selfSignedUrl, timeoutMs: 2000, caFile: pem('self.pem') }).getJson('api/v1/applications'), body);
    // Another client, without the CA, still refuses: nothing was switched globally.
    await assert.rejects(createHttpClient({ baseUrl: url, timeoutMs: 2000 }).getJson('api/v1/applications'), certificateError);
  });

  test('a self-signed certificate (a private CA) without the source\'s caFile: an error state that says so, logged once; with it, read', async () => {
    const log: string[] = [];
    const configured = (caFile?: string) => [{ name: 'tls', url, kind: 'driver' as const, caFile }];
    const settings = (caFile?: string) => ({ configured: configured(caFile), discovery: NO_DISCOVERY, refreshIntervalMs: 1000, statusBarIntervalMs: 5000, requestTimeoutMs: 2000, historyMaxApplications: 5 });
    const store = new Store(settings(), {
      makeClient: (s: SourceConfig, t: number) => createHttpClient({ baseUrl: s.url, timeoutMs: t, caFile: s.caFile }),
      log: { info: () => {}, warn: (m) => log.push(m), error: (m) => log.push(`error ${m}`) },
    });
    try {
      for (let i = 0; i < 3; i++) await store.refresh();
      const s = store.source('tls')!;
      assert.equal(s.status, 'error');
      assert.equal(s.error?.kind, 'tls');
      assert.equal(s.error?.message, 'certificate not trusted (unable to verify the first certificate): set this source\'s "caFile" to the PEM file of the CA that signed it');
      assert.deepEqual(log, [`tls (${url}): ${s.error?.message}`]);
      store.updateSettings(settings(pem('ca.pem')));
      await store.refresh();
      assert.equal(store.source('tls')?.status, 'ok');
      assert.deepEqual(store.applications().map((e) => e.app.name), ['tls']);
    } finally {
      store.dispose();
    }
  });
});

describe('a CA file that cannot be read', () => {
  test('is a typed error naming the file, when the client is made', () => {
    assert.throws(
      () => createHttpClient({ baseUrl: 'https://127.0.0.1:1', timeoutMs: 1000, caFile: '/nonexistent/so-ca.pem' }),
      (e: unknown) => e instanceof HttpError && e.kind === 'config' && e.message === 'CA file /nonexistent/so-ca.pem cannot be read (ENOENT)',
    );
  });

  test('puts its source in an error state, logged once, and no Prometheus client is handed out', async () => {
    const warnings: string[] = [];
    const store = new Store(
      {
        configured: [{ name: 'prom', url: 'https://127.0.0.1:1', kind: 'prometheus', caFile: '/nonexistent/so-ca.pem' }],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000,
        statusBarIntervalMs: 5000,
        requestTimeoutMs: 1000,
        historyMaxApplications: 5,
      },
      {
        // As extension.ts makes clients: async, so a throw is a rejection.
        makeClient: async (s: SourceConfig, t: number): Promise<HttpClient> => createHttpClient({ baseUrl: s.url, timeoutMs: t, caFile: s.caFile }),
        log: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error ${m}`) },
      },
    );
    for (let i = 0; i < 3; i++) await store.refresh();
    assert.deepEqual(store.source('prom')?.error && { kind: store.source('prom')!.error!.kind, message: store.source('prom')!.error!.message }, {
      kind: 'config',
      message: 'CA file /nonexistent/so-ca.pem cannot be read (ENOENT)',
    });
    assert.deepEqual(warnings, ['prom (https://127.0.0.1:1): CA file /nonexistent/so-ca.pem cannot be read (ENOENT)']);
    // Reading it says why, as a typed error (the dashboard shows it in its status line).
    await assert.rejects(store.reads.prometheusFor('local|app-1'), { kind: 'config' });
    store.dispose();
  });
});

describe('backoff of a failing source', () => {
  let server: http.Server;
  let url: string;
  let hits = 0;
  before(async () => {
    server = http.createServer((_q, r) => {
      hits++;
      r.writeHead(500).end('boom');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test('waits longer after each failure, with jitter, and keeps its error state', async () => {
    let now = 1_000_000;
    const store = new Store(
      {
        configured: [{ name: 'flaky', url, kind: 'driver' }],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000,
        statusBarIntervalMs: 5000,
        requestTimeoutMs: 1000,
        historyMaxApplications: 5,
      },
      {
        makeClient: (s: SourceConfig, t: number): HttpClient => createHttpClient({ baseUrl: s.url, timeoutMs: t }),
        log: { info: () => {}, warn: () => {}, error: () => {} },
        now: () => now,
        random: () => 0.5, // jitter factor 0.5 + 0.5 = 1: delays are exactly 1 s, 2 s, 4 s …
      },
    );
    const poll = async () => {
      const before = hits;
      await store.pollNow();
      return hits - before;
    };
    assert.equal(await poll(), 1);
    assert.equal(store.source('flaky')?.status, 'error');
    assert.equal(store.source('flaky')?.error?.kind, 'status');
    assert.equal(await poll(), 0, 'in backoff: no request');
    now += 1000;
    assert.equal(await poll(), 1, 'after 1 s: tried again');
    now += 1500;
    assert.equal(await poll(), 0, 'second delay is 2 s');
    now += 500;
    assert.equal(await poll(), 1);
    now += 3999;
    assert.equal(await poll(), 0, 'third delay is 4 s');
    store.dispose();
  });
});

describe('settings that define where the extension connects', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;
  const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
  const connecting = ['sparkObservatory.sources', 'sparkObservatory.discovery.enabled', 'sparkObservatory.discovery.driverPorts', 'sparkObservatory.sparkSubmitPath'];
  for (const key of connecting) {
    test(`${key} is machine-scoped and restricted in untrusted workspaces`, () => {
      assert.equal(props[key]?.scope, 'machine');
      assert.ok(restricted.includes(key));
    });
  }
  test('activation never uses "*"', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
  });
});
