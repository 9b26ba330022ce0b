/**
 * The host side of the comparison's data (F7), without `vscode`, so the integration tests run
 * exactly this against a real Spark: each run's figures from the REST API of the source that
 * serves it (a live driver, or the History Server once the driver is gone), aggregated by
 * model/compare; the Prometheus overlay where Prometheus has both runs.
 *
 * Per run: four requests (allexecutors, every stage with details=false, storage/rdd, jobs; the
 * application itself is the store's last answer of /applications), once, when the panel opens.
 */
import type { RunData } from '../../store/reads';
import { aggregateRun, compareGroups, compareStages, medianAggregate, type ComparisonRow, type RunAggregate, type StageComparison } from '../../model/compare';
import { olderThan } from '../../model/reported';
import type { CompareData, CompareRunInfo, CompareStageData, OverlayData } from '../../shared/compareProtocol';
export type { RunData } from '../../store/reads';

/** One side of the comparison: one run, or a group of runs (Measure Cache Impact's variant, or runs picked together). */
export interface Side {
  readonly runs: readonly RunData[];
  /** What the side is, e.g. `without df1.cache() at seed.py:34`. */
  readonly role?: string;
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
  return defined({
    name: first.app.name || first.app.id,
    appId: agg.appId,
    startTime: first.app.startTime,
    wallTimeMs: agg.wallTimeMs,
    jobTimeMs: agg.jobTimeMs,
    servedBy: first.servedBy,
    runs: side.runs.length,
    ...(side.role ? { role: side.role } : {}),
  });
}

/** JSON drops undefined fields; the protocol's validators refuse them: leave them out. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

/**
 * The comparison of two sides: per metric the median of each side's runs with its spread and a
 * verdict, aggregates of medians for the headers and exports, stages matched by call site (from
 * each side's first run), and notes on figures the sources could not give.
 */
export function buildComparison(a: Side, b: Side, overlay: { overlays: OverlayData[]; note?: string } = { overlays: [] }): Comparison {
  if (a.runs.length === 0 || b.runs.length === 0) throw new Error('each side needs a run');
  // A History Server lists no cached datasets unless the run logged block updates: an empty list there is not a figure.
  const runs = (s: Side) => s.runs.map((r) => aggregateRun(r.app, r.executors, r.stages, r.datasets.length > 0 || r.servedBy !== 'History Server' ? r.datasets : undefined, r.jobs));
  const runsA = runs(a);
  const runsB = runs(b);
  const aggA = medianAggregate(runsA);
  const aggB = medianAggregate(runsB);
  const rows = compareGroups(runsA, runsB);
  const stages = compareStages(a.runs[0].stages, b.runs[0].stages);
  const notes: string[] = [];
  for (const [label, side, ag] of [['A', a, aggA], ['B', b, aggB]] as const) {
    if (ag.peakJvmHeapBytes === undefined && ag.peakStorageMemoryBytes === undefined) {
      notes.push(side.runs[0].servedBy === 'History Server'
        ? `${label}: no peak memory in its event log (spark.eventLog.logStageExecutorMetrics=true records it).`
        : `${label}: no peak memory reported yet (executors report peaks with their heartbeats).`);
    }
    if (side.runs.some((r) => r.app.state === 'running')) notes.push(`${label} is still running: its figures are so far.`);
    if (ag.cpuTimeMs === undefined) {
      notes.push(side.runs.some((r) => olderThan(r.app.sparkVersion, 2, 1))
        ? `${label}: CPU time not reported (Spark records it from 2.1).`
        : `${label}: CPU time not reported (0 ns beside the tasks' run time).`);
    }
    if (ag.shuffleReadBytes === undefined) notes.push(`${label}: shuffle read not reported in full (Spark before 1.3 counted remote bytes only).`);
  }
  if ([a, b].some((s) => s.runs.length > 1)) {
    notes.push('Several runs a side: each figure is the median, with its range (min–max); a difference no larger than the wider range is "within noise".');
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
