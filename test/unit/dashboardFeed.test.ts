/**
 * The store's dashboard feed (store/dashboardFeed.ts) where Prometheus has nothing for the
 * application: the built-in series in every panel, each saying so; without Prometheus and without
 * series, a problem that says how to get either. And an open feed keeps its application's series
 * recorded, following it to another key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardFeed, FeedHost, FeedSnapshot, NO_PROMETHEUS } from '../../src/store/dashboardFeed';
import { Scheduler } from '../../src/store/scheduler';
import { AppSeries } from '../../src/model/series';
import { PANELS } from '../../src/model/promql';
import type { AppEntry } from '../../src/model/entries';
import type { PrometheusClient } from '../../src/sources/prometheus';

const NOW = 1_000_000_000_000;
const START = NOW - 60_000;

function entry(key: string): AppEntry {
  return { key, group: 'g', sourceId: 's', via: 'driver', stale: false, app: { id: key.split('|')[1], name: 'seed', state: 'running', startTime: START } } as unknown as AppEntry;
}

function series(): AppSeries {
  const s = new AppSeries();
  for (let i = 0; i <= 10; i++) s.push(START + i * 3000, { storageUsed: i * 1000, storageMax: 50_000, completedTasks: i * 10, gcTimeMs: i * 30, taskTimeMs: i * 300 });
  return s;
}

/** A Prometheus that answers, and has no metric of any application. */
const emptyProm = { labelValues: async () => [], targets: async () => [] } as unknown as PrometheusClient;

function feedOf(o: { prom?: PrometheusClient; series?: AppSeries }) {
  const recorded: string[] = [];
  const released: string[] = [];
  const host: FeedHost = {
    scheduler: new Scheduler({ error: (m) => assert.fail(m) }),
    entry: (k) => entry(k),
    detail: () => undefined,
    prometheusFor: async () => o.prom,
    watch: () => ({ dispose: () => {} }),
    record: (k) => {
      recorded.push(k);
      return { dispose: () => released.push(k) };
    },
    series: () => o.series,
    refreshIntervalMs: () => 60_000,
    now: () => NOW,
    warn: (m) => assert.fail(m),
  };
  const feed = new DashboardFeed(host, 'g|local-1');
  feed.setRequest({ range: '5m', widths: { default: 600 }, customQuery: '', queryOverrides: {}, scrapeIntervalSetting: 0 });
  return { feed, recorded, released };
}

async function firstSnapshot(feed: DashboardFeed): Promise<FeedSnapshot> {
  const got = new Promise<FeedSnapshot>((resolve) => feed.onDidChange(resolve));
  feed.setActive(true);
  return got;
}

describe('the dashboard feed where Prometheus has nothing for the application', () => {
  for (const [what, prom] of [['no Prometheus source', undefined], ['a Prometheus without its metrics', emptyProm]] as const) {
    test(`${what}: every panel from the built-in series, each saying so`, async () => {
      const { feed } = feedOf({ prom, series: series() });
      try {
        const s = await firstSnapshot(feed);
        assert.equal(s.data.problem, undefined);
        assert.equal(s.data.range, '5m');
        assert.deepEqual(s.data.panels.map((p) => p.id), PANELS.map((p) => p.id));
        assert.ok(s.data.panels.every((p) => p.source === 'built-in'));
        const storage = s.data.panels.find((p) => p.id === 'storageMemory')!;
        assert.equal(storage.series[0].y.at(-1), 10_000);
        assert.equal(storage.stepSeconds, 3);
      } finally {
        feed.dispose();
      }
    });
  }

  test('no Prometheus and no built-in series: a problem saying how to get either', async () => {
    const { feed } = feedOf({});
    try {
      const s = await firstSnapshot(feed);
      assert.deepEqual(s.data.panels, []);
      assert.equal(s.data.problem, NO_PROMETHEUS);
    } finally {
      feed.dispose();
    }
  });

  test('an open feed keeps its application\'s series recorded, shown or not, and follows it to another key', () => {
    const { feed, recorded, released } = feedOf({});
    assert.deepEqual(recorded, ['g|local-1']);
    feed.setAppKey('h|local-1');
    assert.deepEqual(recorded, ['g|local-1', 'h|local-1']);
    assert.deepEqual(released, ['g|local-1']);
    feed.dispose();
    assert.deepEqual(released, ['g|local-1', 'h|local-1']);
  });
});
