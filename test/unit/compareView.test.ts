import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appPickItems,
  cacheCallNear,
  eventLogAppId,
  formatStart,
  measurementPlan,
  newEventLogApps,
  OVERLAYS,
  splitSelection,
} from '../../src/model/compareView';
import { formatRip } from '../../src/model/compareTables';
import { scanPythonSource } from '../../src/model/cacheScanner';
import { buildComparison, RunData } from '../../src/features/compare/compareData';
import { compareHtml } from '../../src/features/compare/compareHtml';
import { CacheImpactStore } from '../../src/store/cacheImpacts';
import { parseMessage } from '../../src/shared/protocol';
import { COMPARE_FROM_WEBVIEW, COMPARE_TO_WEBVIEW, CompareDataMessage } from '../../src/shared/compareProtocol';
import type { Executor, Stage } from '../../src/model/types';
import { loadOverlays } from '../../src/store/overlays';
import type { PrometheusClient } from '../../src/sources/prometheus';

const MiB = 1024 * 1024;

describe('compare runs: the quick pick', () => {
  const apps = [
    { key: 'local|app-1', id: 'app-1', name: 'seed-plain', state: 'completed' as const, startTime: Date.UTC(2026, 10, 21, 7, 0, 0), durationMs: 160_000, via: 'history', group: 'local' },
    { key: 'local|app-3', id: 'app-3', name: 'seed-live', state: 'running' as const, startTime: Date.UTC(2026, 10, 21, 7, 20, 0), via: 'driver', group: 'local' },
    { key: 'local|app-2', id: 'app-2', name: 'seed-cached', state: 'completed' as const, startTime: Date.UTC(2026, 10, 21, 7, 10, 0), durationMs: 72_000, via: 'history', group: 'local' },
    { key: 'k8s|spark-x', id: 'spark-x', name: 'prom-only', state: 'running' as const, via: 'prometheus', group: 'k8s' },
  ];

  test('lists live and finished applications with a REST API, most recent first, with start and duration', () => {
    const items = appPickItems(apps, Date.UTC(2026, 10, 21, 7, 21, 30));
    assert.deepEqual(items.map((i) => i.label), ['seed-live', 'seed-cached', 'seed-plain']);
    assert.equal(items[0].description, '2026-11-21 07:20:00 UTC · 1m 30s so far');
    assert.equal(items[0].detail, 'app-3 · running · live driver · local');
    assert.equal(items[1].description, '2026-11-21 07:10:00 UTC · 1m 12s');
    assert.equal(items[2].detail, 'app-1 · finished · History Server · local');
  });

  test('B is picked among the others', () => {
    assert.deepEqual(appPickItems(apps, 0, 'local|app-2').map((i) => i.key), ['local|app-3', 'local|app-1']);
  });

  test('start times are UTC text, unknown ones say so', () => {
    assert.equal(formatStart(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05 UTC');
    assert.equal(formatStart(undefined), 'start unknown');
  });
});


describe('measure cache impact and compare runs: groups of runs', () => {
  test('applications selected together: two are A and B; more split by name, the group that started first is A', () => {
    assert.deepEqual(splitSelection([{ key: 'k1', name: 'x' }, { key: 'k2', name: 'x' }]), { a: ['k1'], b: ['k2'] });
    const runs = [
      { key: 'c1', name: 'seed-cached', startTime: 20 }, { key: 'p2', name: 'seed-plain', startTime: 30 },
      { key: 'p1', name: 'seed-plain', startTime: 10 }, { key: 'c2', name: 'seed-cached', startTime: 40 },
    ];
    assert.deepEqual(splitSelection(runs), { a: ['p1', 'p2'], b: ['c1', 'c2'] });
    assert.equal(splitSelection([...runs, { key: 'z', name: 'other' }]), undefined, 'three names: the person says which');
    assert.equal(splitSelection(runs.slice(0, 1)), undefined);
  });

  test('runs are interleaved, without the cache first (A B A B …)', () => {
    assert.deepEqual(measurementPlan(3), ['withoutCache', 'withCache', 'withoutCache', 'withCache', 'withoutCache', 'withCache']);
    assert.deepEqual(measurementPlan(1), ['withoutCache', 'withCache']);
    assert.deepEqual(measurementPlan(2), ['withoutCache', 'withCache', 'withoutCache', 'withCache']);
    assert.equal(measurementPlan(0).length, 2);
    assert.equal(measurementPlan(1000).length, 40);
  });
});

describe('measure cache impact: the cache call from the palette', () => {
  const text = [
    'df1 = spark.range(10)',       // 0
    'df1.cache()',                 // 1
    'df2 = spark.range(3)',        // 2
    'df2 = df2.cache()',           // 3
    'print(df1.count())',          // 4
    '',                            // 5
    '',                            // 6
    '',                            // 7
    'x = 1',                       // 8
  ].join('\n');
  const calls = scanPythonSource(text).calls;

  test('the call on the cursor line, else the nearest above, else below, within three lines', () => {
    assert.equal(cacheCallNear(calls, 1)?.line, 1);
    assert.equal(cacheCallNear(calls, 3)?.receiver, 'df2');
    assert.equal(cacheCallNear(calls, 4)?.line, 3, 'the line after a cache call means that call');
    assert.equal(cacheCallNear(calls, 0)?.line, 1, 'below when nothing is above');
    assert.equal(cacheCallNear(calls, 8), undefined, 'too far from any call');
  });
});

describe('measure cache impact: which application a run wrote', () => {
  test('event-log names: plain, in progress, compressed, rolling folders', () => {
    assert.equal(eventLogAppId('local-1795244880219'), 'local-1795244880219');
    assert.equal(eventLogAppId('local-1795244880219.inprogress'), 'local-1795244880219');
    assert.equal(eventLogAppId('app-20251121070118-0001.zstd.inprogress'), 'app-20251121070118-0001');
    assert.equal(eventLogAppId('eventlog_v2_local-1795244735912'), 'local-1795244735912');
    assert.equal(eventLogAppId('.local-1.crc'), undefined);
    assert.equal(eventLogAppId(''), undefined);
  });

  test('the applications whose logs appeared between two listings', () => {
    assert.deepEqual(newEventLogApps(['local-1', 'eventlog_v2_local-2'], ['local-1', 'eventlog_v2_local-2', 'local-3.inprogress']), ['local-3']);
    // A log that went from in-progress to done between the listings is not new.
    assert.deepEqual(newEventLogApps(['local-4.inprogress'], ['local-4']), []);
  });
});

describe('compare runs: overlay queries', () => {
  test('memory and GC summed per application, the id escaped as a label value', () => {
    assert.deepEqual(OVERLAYS.map((o) => o.expr('app-1"x')), [
      'sum(metrics_executor_memoryUsed_bytes{application_id="app-1\\"x"})',
      'sum(metrics_executor_JVMHeapMemory_bytes{application_id="app-1\\"x"})',
      'sum(metrics_executor_totalGCTime_seconds_total{application_id="app-1\\"x"})',
    ]);
  });
});

function stage(p: Partial<Stage> & { stageId: number; name: string }): Stage {
  return {
    attemptId: 0, status: 'COMPLETE', numTasks: 4, numActiveTasks: 0, numCompleteTasks: 4, numFailedTasks: 0,
    executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [], ...p,
  };
}

function driver(peak: Executor['peak']): Executor {
  return {
    id: 'driver', hostPort: '127.0.0.1:1', isActive: true, totalCores: 2, maxTasks: 2, activeTasks: 0, failedTasks: 0, completedTasks: 0,
    totalTasks: 0, totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 0, diskUsed: 0, totalInputBytes: 0,
    totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak,
  };
}

describe('compare runs: what the panel is given', () => {
  const plain: RunData = {
    key: 'local|local-1', servedBy: 'History Server',
    app: { id: 'local-1', name: 'seed-plain', state: 'completed', startTime: 1_000, endTime: 101_000, durationMs: 100_000 },
    executors: [driver({})],
    stages: [
      stage({ stageId: 0, name: 'count at /w/seed.py:38', submissionTime: 0, completionTime: 30_000, executorRunTimeMs: 50_000, executorCpuTimeNs: 40e9, jvmGcTimeMs: 2_000 }),
      stage({ stageId: 1, name: 'collect at /w/seed.py:45', submissionTime: 30_000, completionTime: 90_000, executorRunTimeMs: 110_000, executorCpuTimeNs: 90e9, jvmGcTimeMs: 6_000 }),
    ],
    datasets: [],
    jobs: [],
  };
  const cached: RunData = {
    key: 'local|local-2', servedBy: 'History Server',
    app: { id: 'local-2', name: 'seed-cached', state: 'completed', startTime: 200_000, endTime: 262_000, durationMs: 62_000 },
    executors: [driver({ jvmHeap: 700 * MiB, onHeapStorage: 412 * MiB })],
    stages: [
      stage({ stageId: 0, name: 'count at /w/seed.py:38', submissionTime: 0, completionTime: 40_000, executorRunTimeMs: 70_000, executorCpuTimeNs: 60e9, jvmGcTimeMs: 1_000 }),
      stage({ stageId: 1, name: 'collect at /w/seed.py:45', submissionTime: 40_000, completionTime: 55_000, executorRunTimeMs: 25_000, executorCpuTimeNs: 20e9, jvmGcTimeMs: 920 }),
    ],
    datasets: [{ rddId: 3, name: 'df1.cache() at /w/seed.py:34', numPartitions: 2, numCachedPartitions: 2, storageLevel: 'Disk Memory Deserialized 1x Replicated', memoryUsed: 400 * MiB, diskUsed: 0, distribution: [] }],
    jobs: [],
  };

  test('rows with hand-computed RIP, stages side by side, and why peaks are missing', () => {
    const c = buildComparison({ runs: [plain], role: 'without the cache' }, { runs: [cached] });
    const row = (id: string) => c.data.rows.find((r) => r.metric === id)!;
    // Wall 100 s → 62 s: RIP = 38 / 100 = 0.38, % change = −38.
    assert.equal(row('wallTimeMs').rip, 0.38);
    assert.equal(row('wallTimeMs').percentChange, -38);
    assert.equal(row('wallTimeMs').verdict, 'better');
    // GC 8 s → 1.92 s: RIP = 6.08 / 8 = 0.76.
    assert.ok(Math.abs(row('gcTimeMs').rip! - 0.76) < 1e-12);
    // Executor run time 160 s → 95 s: RIP = 65 / 160 = 0.40625.
    assert.equal(row('executorRunTimeMs').rip, 0.40625);
    // A History Server lists no cached datasets unless the run logged block updates: A's empty
    // list is not a figure ("–"), B's 400 MiB is; no difference is made up from the two.
    assert.equal(row('cachedBytes').a, undefined);
    assert.equal(row('cachedBytes').b, 400 * MiB);
    assert.equal(row('cachedBytes').difference, undefined);
    assert.equal(row('peakJvmHeapBytes').a, undefined);
    assert.ok(!('a' in row('peakJvmHeapBytes')), 'undefined fields are left out of the message');
    assert.deepEqual(c.data.stages.map((s) => [s.callSite, s.a?.durationMs, s.b?.durationMs]), [
      ['count at /w/seed.py:38', 30_000, 40_000],
      ['collect at /w/seed.py:45', 60_000, 15_000],
    ]);
    assert.deepEqual(c.data.notes, [
      'A: no peak memory in its event log (spark.eventLog.logStageExecutorMetrics=true records it).',
      'Cached bytes: a History Server lists no cached datasets of a finished application (Spark drops them when it stops); peak storage memory shows what the cache held.',
    ]);
    assert.deepEqual(c.data.a, { name: 'seed-plain', appId: 'local-1', startTime: 1_000, wallTimeMs: 100_000, servedBy: 'History Server', runs: 1, role: 'without the cache' });
    assert.ok(parseMessage(COMPARE_TO_WEBVIEW, CompareDataMessage.make(c.data)), 'the data passes the webview\'s own validator');
  });

  test('the webview refuses data with unknown fields or wrong types, and the host refuses unknown messages', () => {
    const c = buildComparison({ runs: [plain] }, { runs: [cached] });
    assert.equal(parseMessage(COMPARE_TO_WEBVIEW, { method: 'compare/data', params: { ...c.data, extra: 1 } }), undefined);
    assert.equal(parseMessage(COMPARE_TO_WEBVIEW, { method: 'compare/data', params: { ...c.data, rows: [{ ...c.data.rows[0], a: 'x' }] } }), undefined);
    assert.ok(parseMessage(COMPARE_FROM_WEBVIEW, { method: 'compare/export', params: { format: 'csv', target: 'file' } }));
    assert.equal(parseMessage(COMPARE_FROM_WEBVIEW, { method: 'compare/export', params: { format: 'html', target: 'file' } }), undefined);
    assert.equal(parseMessage(COMPARE_FROM_WEBVIEW, { method: 'dashboard/refresh', params: {} }), undefined);
  });
});

describe('compare runs: the webview HTML', () => {
  test('strict CSP, the nonce on the one script, no inline style, nothing from Spark', () => {
    const html = compareHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123', scriptUri: 'https://x/compare.js', styleUri: 'https://x/compare.css', codiconUri: 'https://x/codicon.css' });
    assert.match(html, /content="default-src 'none'; style-src https:\/\/x.vscode-cdn.net; font-src https:\/\/x.vscode-cdn.net; img-src https:\/\/x.vscode-cdn.net data:; script-src 'nonce-abc123'"/);
    assert.doesNotMatch(html, /unsafe-/);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.deepEqual(html.match(/<script\b[^>]*>/g), ['<script nonce="abc123" src="https://x/compare.js">']);
  });
});

describe('measure cache impact: the lens\'s store', () => {
  test('keeps the last effect per call and tells listeners', () => {
    const s = new CacheImpactStore();
    const seen: string[] = [];
    const sub = s.onDidChange((i) => seen.push(i.text));
    const base = { file: '/w/seed.py', line: 33, measuredAt: 1, runs: 1, keysWithout: ['a'], keysWith: ['b'] };
    s.set({ ...base, text: 'cache: −10 % time, +1.0 MiB storage' });
    s.set({ ...base, text: 'cache: −38 % time, +412 MiB storage' });
    assert.equal(s.get('/w/seed.py', 33)?.text, 'cache: −38 % time, +412 MiB storage');
    assert.equal(s.get('/w/seed.py', 34), undefined);
    sub.dispose();
    s.set({ ...base, line: 1, text: 'x' });
    assert.deepEqual(seen, ['cache: −10 % time, +1.0 MiB storage', 'cache: −38 % time, +412 MiB storage']);
  });
});

describe('compare runs: RIP as the table shows it', () => {
  test('two decimals, a true minus sign for degradations, no sign on a rounded zero', () => {
    assert.equal(formatRip(0.38), '0.38');
    assert.equal(formatRip(-0.884), '−0.88');
    assert.equal(formatRip(-0.001), '0.00');
    assert.equal(formatRip(undefined), '–');
  });
});

describe('compare runs: overlays of what a run did not report', () => {
  test('a peak-heap series of zeros is "not reported": that chart is left out and the note says so', async () => {
    const runData = (id: string, startTime: number): RunData => ({
      key: `g|${id}`, servedBy: 'History Server', app: { id, name: id, state: 'completed', startTime, endTime: startTime + 60_000, durationMs: 60_000 },
      executors: [], stages: [], datasets: [], jobs: [],
    });
    const prom = {
      async queryRange(expr: string, start: number) {
        const heap = expr.includes('JVMHeapMemory');
        const old = expr.includes('"old"');
        return { series: [{ labels: {}, samples: [0, 15, 30].map((dt) => ({ t: start + dt, v: heap && old ? 0 : 100 + dt })) }] };
      },
    } as unknown as PrometheusClient;
    const o = await loadOverlays(prom, runData('old', 1_000_000), runData('new', 2_000_000), { now: 3_000_000, scrapeIntervalSeconds: 15 });
    assert.deepEqual(o.overlays.map((x) => x.id), ['storageMemory', 'gcTime']);
    assert.equal(o.note, 'Not in Prometheus for both runs: JVM heap (peak so far).');
  });
});
