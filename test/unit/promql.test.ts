import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignRange,
  chooseRateWindow,
  chooseStep,
  detectMetricProfiles,
  escapeLabelValue,
  formatPromDuration,
  MAX_POINTS_PER_SERIES,
  parsePromDuration,
  parsePromValue,
  planDashboard,
  PANELS,
  promqlUiLink,
  renderTemplate,
  toChartPoints,
  toChartValue,
} from '../../src/model/promql';

describe('promql: step and range', () => {
  test('one point per pixel at most', () => {
    assert.equal(chooseStep({ rangeSeconds: 3600, widthPx: 800, scrapeIntervalSeconds: 1 }), 5);
  });

  test('never finer than the scrape interval', () => {
    assert.equal(chooseStep({ rangeSeconds: 300, widthPx: 1000, scrapeIntervalSeconds: 15 }), 15);
  });

  test('never over 11,000 points per series even on a wide chart, alignment included', () => {
    const range = 30 * 86400;
    const step = chooseStep({ rangeSeconds: range, widthPx: 1e9 });
    const start = 1_700_000_123;
    const a = alignRange(start, start + range, step);
    assert.ok((a.end - a.start) / step + 1 <= MAX_POINTS_PER_SERIES);
    assert.equal(step, 300);
  });

  test('rounds up to nice whole seconds, whole days beyond a day', () => {
    assert.equal(chooseStep({ rangeSeconds: 3600, widthPx: 1000 }), 5);
    assert.equal(chooseStep({ rangeSeconds: 7 * 86400, widthPx: 500 }), 1800);
    assert.equal(chooseStep({ rangeSeconds: 3000 * 86400, widthPx: 1000 }), 3 * 86400);
    assert.equal(chooseStep({ rangeSeconds: 0, widthPx: 0 }), 1);
  });

  test('aligns start down and end up to multiples of the step', () => {
    assert.deepEqual(alignRange(1003, 1061, 15), { start: 990, end: 1065 });
    assert.deepEqual(alignRange(990, 1065, 15), { start: 990, end: 1065 });
  });

  test('the rate window covers four scrapes and a step plus a scrape', () => {
    assert.equal(chooseRateWindow(5, 15), '1m');
    assert.equal(chooseRateWindow(120, 15), '135s');
  });
});

describe('promql: durations and values', () => {
  test('parses Prometheus durations, compound ones included', () => {
    assert.equal(parsePromDuration('15s'), 15);
    assert.equal(parsePromDuration('1m'), 60);
    assert.equal(parsePromDuration('1h30m'), 5400);
    assert.equal(parsePromDuration('500ms'), 0.5);
    assert.equal(parsePromDuration('2d'), 172800);
    assert.equal(parsePromDuration('30'), 30);
    assert.equal(parsePromDuration('1x'), undefined);
    assert.equal(parsePromDuration(''), undefined);
  });

  test('formats durations in one unit that divides evenly', () => {
    assert.equal(formatPromDuration(3600), '1h');
    assert.equal(formatPromDuration(5400), '90m');
    assert.equal(formatPromDuration(90), '90s');
    assert.equal(formatPromDuration(604800), '1w');
  });

  test('sample strings NaN, +Inf and -Inf become numbers; non-finite ones become gaps', () => {
    assert.ok(Number.isNaN(parsePromValue('NaN')));
    assert.equal(parsePromValue('+Inf'), Infinity);
    assert.equal(parsePromValue('-Inf'), -Infinity);
    assert.equal(parsePromValue('1.5e3'), 1500);
    assert.ok(Number.isNaN(parsePromValue('')));
    assert.equal(toChartValue(NaN), null);
    assert.equal(toChartValue(Infinity), null);
    assert.equal(toChartValue(0), 0);
    assert.deepEqual(toChartPoints([[1700000000, '1'], [1700000015, 'NaN'], [1700000030, '+Inf']]), [
      { x: 1700000000000, y: 1 }, { x: 1700000015000, y: null }, { x: 1700000030000, y: null },
    ]);
  });
});

describe('promql: escaping and links', () => {
  test('escapes backslashes and double quotes in label values', () => {
    assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  });

  test('a hostile application id cannot break out of its label matcher', () => {
    const expr = renderTemplate('x{application_id="{app}"}', { appId: 'x"} or vector(1) #', window: '1m' });
    assert.equal(expr, 'x{application_id="x\\"} or vector(1) #"}');
  });

  test('links to Prometheus\'s graph page with the query and range', () => {
    assert.equal(
      promqlUiLink('http://prom:9090/', 'rate(x{a="b"}[1m])', 3600),
      'http://prom:9090/graph?g0.expr=rate(x%7Ba%3D%22b%22%7D%5B1m%5D)&g0.tab=0&g0.range_input=1h',
    );
  });
});

const EXECUTOR_NAMES = [
  'spark_info', 'metrics_executor_memoryUsed_bytes', 'metrics_executor_maxMemory_bytes', 'metrics_executor_activeTasks',
  'metrics_executor_totalGCTime_seconds_total', 'metrics_executor_JVMHeapMemory_bytes', 'up',
];

describe('promql: profiles', () => {
  test('detects the Spark 3.5/4.x executor endpoint', () => {
    assert.deepEqual(detectMetricProfiles(EXECUTOR_NAMES).profiles, ['executorEndpoint']);
  });

  test('detects the 3.0-era _Count/_Value names', () => {
    assert.deepEqual(detectMetricProfiles(['metrics_executor_memoryUsed_Count', 'metrics_executor_totalGCTime_Value']).profiles, ['executorEndpointLegacy']);
  });

  test('detects PrometheusServlet names with the app id inside, sanitized', () => {
    const d = detectMetricProfiles([
      'metrics_local_1700000000000_driver_BlockManager_memory_memUsed_MB_Value',
      'metrics_app_20240101120000_0001_driver_DAGScheduler_stage_runningStages_Value',
      'metrics_myns_driver_ExecutorMetrics_JVMHeapMemory_Value',
    ]);
    assert.deepEqual(d.profiles, ['prometheusServlet']);
    assert.deepEqual(d.servletNamespaces, ['local_1700000000000', 'app_20240101120000_0001', 'myns']);
  });

  test('detects JMX-exporter and container metrics', () => {
    const d = detectMetricProfiles(['spark_executor_threadpool_activetasks', 'container_cpu_usage_seconds_total', 'container_network_receive_bytes_total']);
    assert.deepEqual(d.profiles, ['jmxExporter', 'container']);
  });

  test('builds every panel from the executor endpoint, with units and the app id', () => {
    const panels = planDashboard(detectMetricProfiles(EXECUTOR_NAMES), { appId: 'app-1', window: '1m' });
    assert.deepEqual(panels.map((p) => p.id), PANELS.map((p) => p.id));
    const storage = panels.find((p) => p.id === 'storageMemory');
    assert.equal(storage?.unit, 'bytes');
    assert.deepEqual(storage?.queries.map((q) => q.expr), [
      'max by (executor_id) (metrics_executor_memoryUsed_bytes{application_id="app-1"})',
      'max by (executor_id) (metrics_executor_maxMemory_bytes{application_id="app-1"})',
    ]);
    const gc = panels.find((p) => p.id === 'gcShare');
    assert.equal(gc?.unit, 'percent');
    assert.equal(
      gc?.queries[0].expr,
      '100 * sum by (executor_id) (rate(metrics_executor_totalGCTime_seconds_total{application_id="app-1"}[1m])) / sum by (executor_id) (rate(metrics_executor_totalDuration_seconds_total{application_id="app-1"}[1m]))',
    );
    assert.equal(panels.find((p) => p.id === 'shuffleRate')?.unit, 'bytesPerSecond');
    assert.equal(panels.find((p) => p.id === 'taskRate')?.unit, 'perSecond');
  });

  test('a panel no profile has says which setting turns it on', () => {
    const panels = planDashboard(detectMetricProfiles(['up']), { appId: 'a', window: '1m' });
    const rss = panels.find((p) => p.id === 'pythonRss');
    assert.deepEqual(rss?.queries, []);
    assert.match(rss?.missing ?? '', /spark\.executor\.processTreeMetrics\.enabled=true/);
    assert.match(panels.find((p) => p.id === 'jvmHeap')?.missing ?? '', /spark\.ui\.prometheus\.enabled=true/);
    assert.match(panels.find((p) => p.id === 'containerCpu')?.missing ?? '', /cAdvisor/);
  });

  test('the servlet profile serves this application only when its namespace is the app id', () => {
    const names = ['metrics_local_1700000000000_driver_BlockManager_memory_memUsed_MB_Value'];
    const mine = planDashboard(detectMetricProfiles(names), { appId: 'local-1700000000000', window: '1m' });
    const storage = mine.find((p) => p.id === 'storageMemory');
    assert.equal(storage?.profile, 'prometheusServlet');
    assert.equal(storage?.queries[0].expr, 'metrics_local_1700000000000_driver_BlockManager_memory_memUsed_MB_Value * 1048576');
    const other = planDashboard(detectMetricProfiles(names), { appId: 'local-1', window: '1m' });
    assert.equal(other.find((p) => p.id === 'storageMemory')?.profile, undefined);
  });

  test('the JMX exporter profile labels by application name', () => {
    const panels = planDashboard(detectMetricProfiles(['spark_driver_blockmanager_memory_memused_mb']), { appId: 'spark-1', appName: 'seed "x"', window: '2m' });
    assert.equal(panels.find((p) => p.id === 'activeTasks')?.queries[0].expr, 'sum(spark_executor_threadpool_activetasks{app_name="seed \\"x\\""})');
  });

  test('user templates override the defaults and can add a panel to a profile', () => {
    const panels = planDashboard(detectMetricProfiles(['spark_driver_blockmanager_memory_memused_mb']), { appId: 'a', window: '1m' }, {
      'jmxExporter.jvmHeap.peak': 'jvm_memory_bytes_used{area="heap",app="{appName}"}',
      'jmxExporter.activeTasks.active': 'my_active{app="{app}"}',
    });
    assert.equal(panels.find((p) => p.id === 'jvmHeap')?.queries[0].expr, 'jvm_memory_bytes_used{area="heap",app="a"}');
    assert.equal(panels.find((p) => p.id === 'activeTasks')?.queries[0].expr, 'my_active{app="a"}');
  });

  test('container panels join on Spark\'s spark-app-selector pod label', () => {
    const panels = planDashboard(detectMetricProfiles(['container_memory_working_set_bytes']), { appId: 'spark-abc', window: '1m' });
    const mem = panels.find((p) => p.id === 'containerMemory');
    assert.equal(mem?.unit, 'bytes');
    assert.match(mem?.queries[0].expr ?? '', /kube_pod_labels\{label_spark_app_selector="spark-abc"\}/);
    assert.equal(panels.find((p) => p.id === 'containerCpu')?.unit, 'cores');
  });

  test('an invalid rate window falls back to 1m instead of reaching PromQL', () => {
    assert.equal(renderTemplate('rate(x[{window}])', { appId: 'a', window: '1m]) or vector(1' }), 'rate(x[1m])');
  });
});
