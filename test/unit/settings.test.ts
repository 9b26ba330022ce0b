/**
 * package.json's settings schema and the code's one reader (model/settings.ts) agree: every
 * number has the code's bounds, every setting is read into the snapshot, and what a workspace
 * could abuse is machine-scoped or restricted in untrusted workspaces.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clampSetting, NUMBER_SETTINGS, NumberSetting, parseConfig, SECTION } from '../../src/model/settings';

interface Schema {
  type: string | string[];
  scope?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
}
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const props = pkg.contributes.configuration.properties as Record<string, Schema>;
const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
const keys = Object.keys(props).map((k) => k.slice(SECTION.length + 1));
const isNumber = (s: Schema) => s.type === 'number' || s.type === 'integer';

describe('the settings schema and the code agree', () => {
  test('every setting is under sparkObservatory.', () => {
    for (const k of Object.keys(props)) assert.ok(k.startsWith(`${SECTION}.`), k);
  });

  test('every number setting has the minimum, maximum, default and integer-ness of the code', () => {
    const numbers = keys.filter((k) => isNumber(props[`${SECTION}.${k}`]));
    assert.deepEqual(numbers.sort(), Object.keys(NUMBER_SETTINGS).sort());
    for (const k of numbers as NumberSetting[]) {
      const s = props[`${SECTION}.${k}`];
      const b = NUMBER_SETTINGS[k];
      assert.equal(s.minimum, b.min, `${k} minimum`);
      assert.equal(s.maximum, b.max, `${k} maximum`);
      assert.equal(s.default, b.default, `${k} default`);
      assert.equal(s.type, b.integer ? 'integer' : 'number', `${k} type`);
    }
  });

  test('every setting in package.json is read into the snapshot, and nothing else is', () => {
    const read = new Set<string>();
    parseConfig((k) => {
      read.add(k);
      return undefined;
    });
    assert.deepEqual([...read].sort(), [...keys].sort());
  });

  test('the defaults of package.json give the same snapshot as unset settings', () => {
    const defaults = parseConfig((k) => props[`${SECTION}.${k}`].default);
    assert.deepEqual(defaults, parseConfig(() => undefined));
    assert.equal(defaults.refreshIntervalMs, 3000);
    assert.equal(defaults.run.master, 'local[*]');
    assert.deepEqual(defaults.discovery.driverPorts.length, 11);
  });
});

describe('numbers are clamped to their bounds', () => {
  const withValue = (key: string, value: unknown) => parseConfig((k) => (k === key ? value : undefined));

  test('a refresh interval past Node\'s timer limit is an hour, not a 1 ms loop', () => {
    // 2147484 s is just over 2^31-1 ms: Node would fire the timer after 1 ms.
    assert.equal(withValue('refreshInterval', 2147484).refreshIntervalMs, 3_600_000);
    assert.equal(withValue('statusBarInterval', 1e12).statusBarIntervalMs, 3_600_000);
    assert.equal(withValue('refreshInterval', 0).refreshIntervalMs, 1000);
    assert.equal(withValue('statusBarInterval', 1).statusBarIntervalMs, 5000);
  });

  test('a request timeout stays far below the timer limit, total deadline (3×) included', () => {
    for (const t of [715828, 1431656, Number.MAX_VALUE]) {
      const ms = withValue('requestTimeout', t).requestTimeoutMs;
      assert.equal(ms, 300_000);
      assert.ok(ms * 3 < 2 ** 31 - 1);
    }
    assert.equal(withValue('requestTimeout', -5).requestTimeoutMs, 1000);
  });

  test('ports, counts and runs are whole numbers in range; anything not a finite number is the default', () => {
    assert.equal(withValue('discovery.masterPort', 70000).discovery.masterPort, 65535);
    assert.equal(withValue('discovery.historyServerPort', -1).discovery.historyServerPort, 0);
    assert.equal(withValue('discovery.prometheusPort', 9090.4).discovery.prometheusPort, 9090);
    assert.equal(withValue('history.maxApplications', 1e9).historyMaxApplications, 1000);
    assert.equal(withValue('measureCacheImpact.runs', 99).measureCacheImpactRuns, 20);
    assert.equal(withValue('prometheus.scrapeInterval', 1e7).prometheus.scrapeIntervalSeconds, 3600);
    for (const bad of [NaN, Infinity, '5', null, {}]) assert.equal(clampSetting('requestTimeout', bad), 5, String(bad));
  });
});

describe('settings read into the snapshot', () => {
  test('run, Prometheus, lens and hint settings come through the one reader', () => {
    const raw: Record<string, unknown> = {
      'run.master': '  spark://h:7077 ',
      'run.eventLogDir': '/tmp/ev',
      'run.extraConf': { 'spark.driver.memory': '2g', 'spark.sql.shuffle.partitions': 8, 'spark.x': true, 'spark.bad': { a: 1 } },
      'prometheus.queryOverrides': { 'executorEndpoint.jvmHeap.peak': 'up', blank: '  ', n: 3 },
      'cacheLens.enabled': false,
      'inlineHints.enabled': false,
      'findings.enabled': 'no',
      'hints.pathMappings': { '/opt/app': '/ws' },
    };
    const c = parseConfig((k) => raw[k]);
    assert.deepEqual(c.run, { master: 'spark://h:7077', eventLogDir: '/tmp/ev', extraConf: { 'spark.driver.memory': '2g', 'spark.sql.shuffle.partitions': '8', 'spark.x': 'true' }, retentionDays: 14 });
    assert.deepEqual(c.prometheus.queryOverrides, { 'executorEndpoint.jvmHeap.peak': 'up' });
    assert.equal(c.cacheLensEnabled, false);
    assert.equal(c.inlineHintsEnabled, false);
    assert.equal(c.findingsEnabled, true, 'a wrong type is the default');
    assert.deepEqual(c.pathMappings, [{ from: '/opt/app', to: '/ws' }]);
  });
});

describe('what a workspace could abuse', () => {
  // Where the extension connects, what it runs, which PromQL it sends with the user's
  // credentials, how hard it polls: a workspace's value is ignored when it is not trusted.
  const mustRestrict = [
    'sources', 'discovery.enabled', 'discovery.driverPorts', 'discovery.historyServerPort', 'discovery.masterPort', 'discovery.prometheusPort',
    'sparkSubmitPath', 'run.master', 'run.eventLogDir', 'run.extraConf', 'prometheus.queryOverrides', 'hints.pathMappings',
    'refreshInterval', 'statusBarInterval', 'requestTimeout', 'history.maxApplications',
  ];
  for (const k of mustRestrict) {
    test(`${k} is restricted in untrusted workspaces`, () => {
      assert.ok(restricted.includes(`${SECTION}.${k}`));
    });
  }
  test('endpoints, what runs and what is sent with credentials are machine settings', () => {
    const scope = (k: string) => props[`${SECTION}.${k}`].scope;
    for (const k of ['sources', 'discovery.enabled', 'discovery.driverPorts', 'sparkSubmitPath', 'run.master', 'run.eventLogDir', 'run.extraConf']) assert.equal(scope(k), 'machine', k);
    // Legitimately per project (its own metric names, its own container paths), so a trusted
    // workspace may override them; an untrusted one may not (restricted above).
    for (const k of ['prometheus.queryOverrides', 'hints.pathMappings']) assert.equal(scope(k), 'machine-overridable', k);
  });
  test('every restricted setting exists', () => {
    for (const r of restricted) assert.ok(props[r], r);
  });
});

describe('a Spark Connect server as a source', () => {
  const sources = (list: unknown) => parseConfig((k) => (k === 'sources' ? list : undefined)).sources;

  test('sc://host:port is read through its driver UI, at Spark\'s default port unless uiUrl says otherwise', () => {
    assert.deepEqual(sources([{ name: 'connect', url: 'sc://spark.example:15002/;user_id=alice;token=s3cret' }]), [
      { name: 'connect', url: 'http://spark.example:4040', connect: 'sc://spark.example:15002', kind: 'driver', caFile: undefined, group: undefined },
    ]);
    assert.deepEqual(sources([{ name: 'c', url: 'sc://10.1.2.3', uiUrl: 'https://gw.example/spark-ui/' }])[0], {
      name: 'c', url: 'https://gw.example/spark-ui', connect: 'sc://10.1.2.3:15002', kind: 'driver', caFile: undefined, group: undefined,
    });
  });

  test('the token never reaches the snapshot', () => {
    assert.ok(!JSON.stringify(sources([{ name: 'c', url: 'sc://h:15002/;token=s3cret' }])).includes('s3cret'));
  });
});
