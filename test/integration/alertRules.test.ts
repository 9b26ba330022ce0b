/**
 * The alert rules of scripts/prometheus-rules.yml (the ones the demo loads) against the real
 * Prometheus and a real job: examples/cache_too_big.py fills storage memory, and
 * SparkStorageMemoryNearlyFull fires for its application, while the other rules (GC time, failed
 * tasks, lost executors) stay quiet for it; the firing alert reaches the store under the
 * application. The rules are also valid for promtool.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { getJson, makeStore, readEnv, REPO, RunningJob, startJob, waitFor } from './env';
import type { Store } from '../../src/store/store';

const env = readEnv();
const RULES = join(REPO, 'scripts', 'prometheus-rules.yml');
const TEAM_RULES = ['SparkStorageMemoryNearlyFull', 'SparkGCTimeHigh', 'SparkTasksFailing', 'SparkExecutorsLost'];

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

async function alertsOf(appId: string): Promise<PromAlert[]> {
  const r = await getJson<{ data: { alerts: PromAlert[] } }>(`${env.prometheusUrl}/api/v1/alerts`);
  return r.data.alerts.filter((a) => a.labels.application_id === appId && TEAM_RULES.includes(a.labels.alertname));
}

describe('the alert rules a Spark team keeps', () => {
  let job: RunningJob | undefined;
  let store: Store | undefined;
  after(async () => {
    await job?.stop().catch(() => undefined);
    store?.dispose();
  });

  test('promtool accepts them', () => {
    const out = execFileSync('promtool', ['check', 'rules', RULES]).toString();
    assert.match(out, /SUCCESS: 4 rules found/);
  });

  test('a cache larger than storage memory fires SparkStorageMemoryNearlyFull for that application only, and nothing else', async () => {
    job = await startJob(join('..', '..', '..', 'examples', 'cache_too_big.py'), { master: 'local[2]' });
    const app = await waitFor(async () => (await getJson<{ id: string }[]>(`${job!.uiUrl}/api/v1/applications`))[0], { what: 'the application' });
    const firing = await waitFor(async () => {
      const mine = await alertsOf(app.id);
      const others = mine.filter((a) => a.labels.alertname !== 'SparkStorageMemoryNearlyFull');
      assert.deepEqual(others, [], 'another rule is pending or firing');
      return mine.find((a) => a.labels.alertname === 'SparkStorageMemoryNearlyFull' && a.state === 'firing');
    }, { what: 'SparkStorageMemoryNearlyFull firing', timeoutMs: 420_000, intervalMs: 2000 });
    assert.equal(firing.labels.executor_id, 'driver');
    assert.equal(firing.labels.application_name, 'cache-too-big');
    assert.equal(firing.labels.severity, 'warning');

    // The extension sees it under the application.
    store = makeStore([{ name: 'prometheus', url: env.prometheusUrl, kind: 'prometheus', group: 'it' }]);
    await store.refresh();
    const names = store.alertsFor(`it|${app.id}`).map((a) => a.name).filter((n) => TEAM_RULES.includes(n));
    assert.deepEqual(names, ['SparkStorageMemoryNearlyFull']);
  });
});
