/**
 * The host side of the comparison's data (F7), without `vscode`, so the integration tests run
 * exactly this against a real Spark: each run's figures from the REST API of the source that
 * serves it (a live driver, or the History Server once the driver is gone), aggregated by
 * model/compare; the Prometheus overlay where Prometheus has both runs.
 *
 * Per run: four requests (allexecutors, every stage with details=false, storage/rdd; the
 * application itself is the store's last answer of /applications), once, when the panel opens.
 */
import type { Store } from '../../store/store';
import type { PrometheusClient } from '../../sources/prometheus';
import type { Application, CachedDataset, Executor, Stage } from '../../model/types';
import { aggregateRun, compareRuns, compareStages, ComparisonRow, RunAggregate, StageComparison } from '../../model/compare';
import { meanAggregate, OVERLAYS } from '../../model/compareView';
import { alignRange, chooseStep } from '../../model/promql';
import { toElapsed } from '../../model/compare';
import type { CompareData, CompareRunInfo, CompareStageData, OverlayData } from '../../shared/compareProtocol';

/** Everything one run contributes, as read from its source. */
export interface RunData {
  readonly key: string;
  readonly app: Application;
  readonly servedBy: 'History Server' | 'live driver';
  readonly executors: readonly Executor[];
  readonly stages: readonly Stage[];
  readonly datasets: readonly CachedDataset[];
}

/** One side of the comparison: one run, or several runs of one variant (Measure Cache Impact). */
export interface Side {
  readonly runs: readonly RunData[];
  /** What the side is, e.g. `without df1.cache() at seed.py:34`. */
  readonly role?: string;
}

export class CompareUnavailable extends Error {}

/**
 * Reads one application's figures from the source serving it now. A running application's wall
 * time is its time so far (the caller's clock), so a live run compares with a finished one.
 */
export async function loadRun(store: Store, key: string, now: number, signal?: AbortSignal): Promise<RunData> {
  const e = store.entry(key);
  if (!e) throw new CompareUnavailable(`application ${key.split('|').pop()} is not listed by any source now`);
  if (e.via !== 'driver' && e.via !== 'history') {
    throw new CompareUnavailable(`${e.app.name || e.app.id} is known from ${e.via === 'master' ? 'the Master' : 'Prometheus'} only: no Spark REST API to read its figures from`);
  }
  const rest = await store.restClientFor(e.sourceId);
  if (!rest) throw new CompareUnavailable(`the source serving ${e.app.id} is gone`);
  const ref = { id: e.app.id, attemptId: e.app.attemptId };
  // Every stage (all statuses, details=false): retried and skipped work are part of the run.
  const [executors, stages, datasets] = await Promise.all([
    rest.executors(ref, signal),
    rest.stages(ref, undefined, signal),
    rest.cachedDatasets(ref, signal),
  ]);
  const app = e.app.state === 'running' && e.app.startTime !== undefined && e.app.durationMs === undefined
    ? { ...e.app, durationMs: Math.max(0, now - e.app.startTime) }
    : e.app;
  return { key, app, servedBy: e.via === 'history' ? 'History Server' : 'live driver', executors, stages, datasets };
}

export interface Comparison {
  readonly a: RunAggregate;
  readonly b: RunAggregate;
  readonly rows: ComparisonRow[];
  readonly stages: StageComparison;
  /** What the panel is given. */
  readonly data: CompareData;
}

function runInfo(side: Side, agg: RunAggregate): CompareRunInfo {
  const first = side.runs[0];
  return {
    name: first.app.name || first.app.id,
    appId: agg.appId,
    startTime: first.app.startTime,
    wallTimeMs: agg.wallTimeMs,
    servedBy: first.servedBy,
    runs: side.runs.length,
    ...(side.role ? { role: side.role } : {}),
  };
}

/** JSON drops undefined fields; the protocol's validators refuse them: leave them out. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

/**
 * The comparison of two sides: aggregates (the mean when a side has several runs), one row per
 * metric, stages matched by call site (from each side's first run), and notes on figures the
 * sources could not give.
 */
export function buildComparison(a: Side, b: Side, overlay: { overlays: OverlayData[]; note?: string } = { overlays: [] }): Comparison {
  if (a.runs.length === 0 || b.runs.length === 0) throw new Error('each side needs a run');
  const agg = (s: Side) => meanAggregate(s.runs.map((r) => aggregateRun(r.app, r.executors, r.stages, r.datasets)));
  const aggA = agg(a);
  const aggB = agg(b);
  const rows = compareRuns(aggA, aggB);
  const stages = compareStages(a.runs[0].stages, b.runs[0].stages);
  const notes: string[] = [];
  for (const [label, side, ag] of [['A', a, aggA], ['B', b, aggB]] as const) {
    if (ag.peakJvmHeapBytes === undefined && ag.peakStorageMemoryBytes === undefined) {
      notes.push(side.runs[0].servedBy === 'History Server'
        ? `${label}: no peak memory in its event log (spark.eventLog.logStageExecutorMetrics=true records it).`
        : `${label}: no peak memory reported yet (executors report peaks with their heartbeats).`);
    }
    if (side.runs.some((r) => r.app.state === 'running')) notes.push(`${label} is still running: its figures are so far.`);
  }
  if ([a, b].some((s) => s.runs.some((r) => r.servedBy === 'History Server' && r.app.state === 'completed' && r.datasets.length === 0))) {
    notes.push('Cached bytes: a History Server lists no cached datasets of a finished application (Spark drops them when it stops); peak storage memory shows what the cache held.');
  }
  const stageRows: CompareStageData[] = [...stages.matched, ...stages.onlyA, ...stages.onlyB].map((r) => defined({ callSite: r.callSite, placeable: r.placeable, a: r.a, b: r.b }));
  const data: CompareData = defined({
    a: runInfo(a, aggA),
    b: runInfo(b, aggB),
    rows: rows.map((r) => defined({ ...r })),
    stages: stageRows,
    overlays: overlay.overlays,
    overlayNote: overlay.note,
    notes,
  });
  return { a: aggA, b: aggB, rows, stages, data };
}

/** Epoch-ms [start, end] of a run, for its range queries; undefined without a start. */
function runWindow(app: Application, now: number): { start: number; end: number } | undefined {
  if (app.startTime === undefined) return undefined;
  const end = app.endTime ?? (app.durationMs !== undefined ? app.startTime + app.durationMs : now);
  return { start: app.startTime, end: Math.max(end, app.startTime + 1000) };
}

/**
 * Both runs' memory and GC series on one elapsed-time axis, from Prometheus (model/compareView's
 * OVERLAYS). A chart is included only when Prometheus has the series for both runs; the note says
 * why there is none otherwise. The step gives at most `widthPx` points over the longer run.
 */
export async function loadOverlays(
  prom: PrometheusClient | undefined,
  a: RunData,
  b: RunData,
  o: { now: number; widthPx?: number; scrapeIntervalSeconds?: number; signal?: AbortSignal },
): Promise<{ overlays: OverlayData[]; note?: string }> {
  if (!prom) return { overlays: [], note: 'No Prometheus source: the table comes from the REST API alone.' };
  const wa = runWindow(a.app, o.now);
  const wb = runWindow(b.app, o.now);
  if (!wa || !wb) return { overlays: [], note: 'A run has no start time: nothing to put on an elapsed-time axis.' };
  const longest = Math.max(wa.end - wa.start, wb.end - wb.start) / 1000;
  const step = chooseStep({ rangeSeconds: longest, widthPx: o.widthPx ?? 700, scrapeIntervalSeconds: o.scrapeIntervalSeconds ?? 0 });
  const query = async (expr: string, w: { start: number; end: number }) => {
    const r = alignRange(w.start / 1000, w.end / 1000, step);
    const res = await prom.queryRange(expr, r.start, r.end, step, o.signal);
    return res.series[0]?.samples.map((s) => [s.t, s.v] as const) ?? [];
  };
  const overlays: OverlayData[] = [];
  const missing: string[] = [];
  try {
    for (const spec of OVERLAYS) {
      const [sa, sb] = await Promise.all([query(spec.expr(a.app.id), wa), query(spec.expr(b.app.id), wb)]);
      if (sa.length === 0 || sb.length === 0) {
        missing.push(spec.title);
        continue;
      }
      const pa = toElapsed(sa, wa.start);
      const pb = toElapsed(sb, wb.start);
      const maxX = Math.max(0, pa.at(-1)?.x ?? 0, pb.at(-1)?.x ?? 0);
      overlays.push({
        id: spec.id,
        title: spec.title,
        unit: spec.unit,
        a: { x: pa.map((p) => p.x), y: pa.map((p) => p.y) },
        b: { x: pb.map((p) => p.x), y: pb.map((p) => p.y) },
        maxX,
      });
    }
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { overlays, note: `Prometheus: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (overlays.length === 0) return { overlays, note: 'Prometheus has no executor metrics for both runs (spark.ui.prometheus.enabled and a scrape of each driver put them there).' };
  return missing.length ? { overlays, note: `Not in Prometheus for both runs: ${missing.join(', ')}.` } : { overlays };
}
