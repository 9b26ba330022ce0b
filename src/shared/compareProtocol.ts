/**
 * The comparison panel's messages (webview/compare), host and webview alike, declared with the
 * machinery of protocol.ts: each message once, with its validator, and each side's allow-list.
 */
import type { ComparisonRow, MetricUnit, Verdict } from '../model/compare';
import { Infer, IpcMessageType, isDataSource, typed, v } from './protocol';

// The validators' lists of model/compare's units and verdicts (`satisfies`: the same values).
export const COMPARE_UNITS = ['ms', 'bytes', 'count'] as const satisfies readonly MetricUnit[];
export const VERDICTS = ['better', 'worse', 'same', 'neutral', 'noise'] as const satisfies readonly Verdict[];
export const EXPORT_FORMATS = ['markdown', 'csv'] as const;
export const EXPORT_TARGETS = ['clipboard', 'file'] as const;

const isRunInfo = v.object({
  name: v.str(2000),
  appId: v.str(2000),
  /** Epoch ms. */
  startTime: v.optional(v.num),
  wallTimeMs: v.optional(v.num),
  /** First job submitted → last job completed (median over the side's runs). */
  jobTimeMs: v.optional(v.num),
  /** `History Server`, `live driver`. */
  servedBy: v.str(200),
  /** How many runs the side's medians are of. */
  runs: v.num,
  /** What this side is, e.g. `without the cache at job.py:18`. */
  role: v.optional(v.str(2000)),
});
/** One side of the comparison: who it is and where its figures come from. */
export type CompareRunInfo = Infer<typeof isRunInfo>;

const isSpread = v.object({ n: v.num, median: v.num, min: v.num, max: v.num });
const isRow = v.object({
  metric: v.str(100),
  label: v.str(200),
  unit: v.oneOf(COMPARE_UNITS),
  a: v.optional(v.num),
  b: v.optional(v.num),
  /** Each side's runs: count, median, min, max. */
  aSpread: v.optional(isSpread),
  bSpread: v.optional(isSpread),
  difference: v.optional(v.num),
  percentChange: v.optional(v.num),
  rip: v.optional(v.num),
  lowerIsBetter: v.bool,
  verdict: v.optional(v.oneOf(VERDICTS)),
});
/** model/compare's ComparisonRow, as it crosses the boundary (undefined fields are left out). */
export type CompareRowData = Infer<typeof isRow>;
// The row the model computes is the row the webview validates (metric ids widen to string).
const _rowsAgree: (r: ComparisonRow) => CompareRowData = (r) => r;
void _rowsAgree;

const isStageFigures = v.object({ count: v.num, durationMs: v.num, executorRunTimeMs: v.num });
export type StageFiguresData = Infer<typeof isStageFigures>;
const isStage = v.object({
  callSite: v.str(),
  placeable: v.bool,
  a: v.optional(isStageFigures),
  b: v.optional(isStageFigures),
});
export type CompareStageData = Infer<typeof isStage>;

const isXY = v.object({ x: v.array(v.num, 20_000), y: v.array(v.numOrNull, 20_000) });
const isOverlayData = v.object({
  id: v.str(100),
  title: v.str(200),
  unit: v.oneOf(['bytes', 'seconds'] as const),
  a: isXY,
  b: isXY,
  maxX: v.num,
  /** Which source the overlay shows (absent: Prometheus): Prometheus, or the built-in series. */
  source: v.optional(isDataSource),
});
/** One overlaid chart: both runs' series on seconds since each run started. */
export type OverlayData = Infer<typeof isOverlayData>;

const isCompareData = v.object({
  a: isRunInfo,
  b: isRunInfo,
  rows: v.array(isRow, 100),
  /** Stages matched by call site first, then those of one run only. */
  stages: v.array(isStage, 5000),
  overlays: v.array(isOverlayData, 20),
  /** Why there is no overlay (no Prometheus, no series for a run), when there is none. */
  overlayNote: v.optional(v.str()),
  /** Figures the sources could not give, and why (e.g. peaks not in the event log). */
  notes: v.array(v.str(), 50),
});
/** Host → webview: everything the panel shows. */
export type CompareData = Infer<typeof isCompareData>;

export const CompareDataMessage = new IpcMessageType<CompareData>('compare/data', typed(isCompareData));

const isCompareSide = v.object({
  /** Store keys (`group|appId`) of the side's runs. */
  keys: v.array(v.str(1000), 20, 1),
  /** What the side is, e.g. `without df1.cache() at seed.py:34`. */
  role: v.optional(v.str(2000)),
});
/** One side as the panel is asked for it: one application, or several runs of one variant (Measure Cache Impact). */
export type CompareSideState = Infer<typeof isCompareSide>;
const isCompareStateObject = v.object({
  a: isCompareSide,
  b: isCompareSide,
  /** The column names of the exported RIP table (`Without cache`, `With cache`); the sides' names otherwise. */
  ripLabels: v.optional(v.object({ a: v.str(200), b: v.str(200) })),
});
/** What the comparison webview persists with setState and the serializer hands back after a reload. */
export type CompareState = Infer<typeof isCompareStateObject>;
export const isCompareState = typed<CompareState>(isCompareStateObject);

/** Host → webview: the comparison's state, for the webview to save (on ready and when it changes). */
export const CompareStateMessage = new IpcMessageType<CompareState>('compare/state', isCompareState);

/** Host → webview: progress, a failure, or a confirmation (e.g. "copied"). */
export const CompareStatusMessage = new IpcMessageType<{ readonly kind: 'busy' | 'info' | 'error'; readonly text: string }>(
  'compare/status',
  typed(v.object({ kind: v.oneOf(['busy', 'info', 'error'] as const), text: v.str() })),
);

/** Webview → host: loaded, send the data. */
export const CompareReadyMessage = new IpcMessageType<Record<string, never>>('compare/ready', typed(v.object({})));

/** Webview → host: export the table (the host writes the clipboard or asks where to save). */
export const CompareExportMessage = new IpcMessageType<{ readonly format: (typeof EXPORT_FORMATS)[number]; readonly target: (typeof EXPORT_TARGETS)[number] }>(
  'compare/export',
  typed(v.object({ format: v.oneOf(EXPORT_FORMATS), target: v.oneOf(EXPORT_TARGETS) })),
);

/** Webview → host: swap A and B. */
export const CompareSwapMessage = new IpcMessageType<Record<string, never>>('compare/swap', typed(v.object({})));

/** The only messages the comparison panel's host accepts from its webview. */
export const COMPARE_FROM_WEBVIEW: readonly IpcMessageType<unknown>[] = [CompareReadyMessage, CompareExportMessage, CompareSwapMessage];

/** The only messages the comparison webview accepts from its host. */
export const COMPARE_TO_WEBVIEW: readonly IpcMessageType<unknown>[] = [CompareDataMessage, CompareStatusMessage, CompareStateMessage];
