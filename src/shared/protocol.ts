/**
 * The typed message protocol between the extension host and its webviews, imported by both
 * sides (webview/tsconfig.json includes src/shared). As in GitLens's ipc: each message is
 * declared once, as a value that carries its parameter type and its own validator, and both
 * sides switch on it with `isMessage`. Nothing here imports `vscode` or the DOM.
 *
 * Every message that crosses the boundary is untrusted on arrival: a side accepts only the
 * message types in its allow-list and only when the parameters have the declared field types
 * (`parseMessage`); anything else is ignored. A new panel (e.g. the comparison panel) adds its
 * own message values and its own allow-lists below, without touching the dashboard's.
 */

// ---------------------------------------------------------------------------------------------
// The machinery

/** What travels through postMessage. */
export interface IpcMessage<P = unknown> {
  readonly method: string;
  readonly params: P;
}

export type Validator<P> = (v: unknown) => v is P;

/** One message kind: its method name and the validator of its parameters. */
export class IpcMessageType<P> {
  constructor(
    readonly method: string,
    readonly isParams: Validator<P>,
  ) {}
  /** Builds the message to post (the type checker holds the parameters to the declared type). */
  make(params: P): IpcMessage<P> {
    return { method: this.method, params };
  }
}

export function isMessage<P>(type: IpcMessageType<P>, msg: IpcMessage): msg is IpcMessage<P> {
  return msg.method === type.method;
}

/**
 * An incoming message checked against an allow-list: the message when its method is listed and
 * its parameters validate, else undefined (unknown messages are ignored, never thrown at).
 */
export function parseMessage(allowed: readonly IpcMessageType<unknown>[], raw: unknown): IpcMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.method !== 'string') return undefined;
  const type = allowed.find((t) => t.method === o.method);
  if (!type || !type.isParams(o.params)) return undefined;
  return { method: o.method, params: o.params };
}

// Small validators, composed below. Strings and arrays are capped: a message is never a way to
// make the other side allocate without bound.
const MAX_TEXT = 10_000;
const MAX_ITEMS = 100_000;

type Shape = Record<string, (v: unknown) => boolean>;

export const v = {
  str: (max = MAX_TEXT) => (x: unknown): x is string => typeof x === 'string' && x.length <= max,
  num: (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x),
  /** A finite number or null (a gap in a series: NaN and ±Inf arrive as null). */
  numOrNull: (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x)),
  bool: (x: unknown): x is boolean => typeof x === 'boolean',
  oneOf: <T extends string>(values: readonly T[]) => (x: unknown): x is T => typeof x === 'string' && (values as readonly string[]).includes(x),
  optional: (f: (x: unknown) => boolean) => (x: unknown) => x === undefined || f(x),
  array: (f: (x: unknown) => boolean, max = MAX_ITEMS) => (x: unknown) => Array.isArray(x) && x.length <= max && x.every(f),
  record: (f: (x: unknown) => boolean, max = 1000) => (x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length <= max && Object.values(x).every(f),
  /** An object with exactly these fields (extra fields are refused, missing optional ones allowed). */
  object: (shape: Shape) => (x: unknown) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!(k in shape)) return false;
    for (const [k, f] of Object.entries(shape)) if (!f(o[k])) return false;
    return true;
  },
};

function typed<P>(f: (x: unknown) => boolean): Validator<P> {
  return f as Validator<P>;
}

// ---------------------------------------------------------------------------------------------
// Dashboard (webview/charts)

export const TIME_RANGES = ['5m', '15m', '1h', '6h', 'lifetime'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

export const PANEL_UNITS = ['bytes', 'seconds', 'percent', 'count', 'bytesPerSecond', 'perSecond', 'cores'] as const;
export type Unit = (typeof PANEL_UNITS)[number];

/**
 * Where a panel's or an overlay's data comes from: Prometheus, or the store's built-in series
 * (the REST figures it polls, kept over time) when Prometheus has nothing for the application.
 */
export const DATA_SOURCES = ['prometheus', 'built-in'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

/** The id of the custom PromQL panel (the other ids are model/promql's PanelId). */
export const CUSTOM_PANEL_ID = 'custom';

/** What the webview persists with setState and the serializer hands back after a reload. */
export interface DashboardState {
  readonly appKey: string;
  readonly range: TimeRange;
  readonly customQuery: string;
}
const isDashboardStateShape = v.object({ appKey: v.str(1000), range: v.oneOf(TIME_RANGES), customQuery: v.str() });
export const isDashboardState = typed<DashboardState>(isDashboardStateShape);

export interface SeriesData {
  readonly label: string;
  /** Epoch ms. */
  readonly x: readonly number[];
  /** Same length as x; null is a gap (no sample, NaN or ±Inf). */
  readonly y: readonly (number | null)[];
}

export interface PanelData {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly series: readonly SeriesData[];
  /** Finite bounds of every value drawn, null when there is none: axes never see NaN or Inf. */
  readonly yMin: number | null;
  readonly yMax: number | null;
  /** Set when the panel's metrics are missing: the setting that turns them on. */
  readonly missing?: string;
  /** A note under the chart (e.g. a metric that exists but stays 0). */
  readonly note?: string;
  /** Prometheus's own error, as it said it. */
  readonly error?: { readonly errorType: string; readonly message: string };
  readonly warnings: readonly string[];
  /** The PromQL behind the panel, for tooltips and "open in Prometheus". */
  readonly queries: readonly string[];
  readonly stepSeconds: number;
  readonly profile?: string;
  /** Which source the panel shows (absent: Prometheus). */
  readonly source?: DataSource;
}

const isSeriesData = v.object({ label: v.str(2000), x: v.array(v.num), y: v.array(v.numOrNull) });
const isError = v.object({ errorType: v.str(200), message: v.str() });
const isPanelData = v.object({
  id: v.str(100),
  title: v.str(200),
  unit: v.oneOf(PANEL_UNITS),
  series: v.array(isSeriesData, 1000),
  yMin: v.numOrNull,
  yMax: v.numOrNull,
  missing: v.optional(v.str()),
  note: v.optional(v.str()),
  error: v.optional(isError),
  warnings: v.array(v.str(), 100),
  queries: v.array(v.str(), 20),
  stepSeconds: v.num,
  profile: v.optional(v.str(100)),
  source: v.optional(v.oneOf(DATA_SOURCES)),
});

/** Host → webview: who the dashboard is for (sent on ready and whenever it changes). */
export interface InitParams {
  readonly state: DashboardState;
  readonly appName: string;
  readonly appId: string;
  readonly running: boolean;
  /** Panels in display order, so the webview lays them out before data arrives. */
  readonly panels: readonly { readonly id: string; readonly title: string; readonly unit: Unit }[];
  /** Prometheus is not reachable or not configured: why. */
  readonly problem?: string;
}
export const InitMessage = new IpcMessageType<InitParams>(
  'dashboard/init',
  typed(v.object({
    state: isDashboardStateShape,
    appName: v.str(2000),
    appId: v.str(1000),
    running: v.bool,
    panels: v.array(v.object({ id: v.str(100), title: v.str(200), unit: v.oneOf(PANEL_UNITS) }), 100),
    problem: v.optional(v.str()),
  })),
);

/** Host → webview: a refresh's results. */
export interface DataParams {
  readonly panels: readonly PanelData[];
  /** Epoch ms when the data was fetched; the range drawn, epoch ms. */
  readonly fetchedAt: number;
  readonly start: number;
  readonly end: number;
  readonly profiles: readonly string[];
  readonly scrapeIntervalSeconds: number;
  /** Prometheus failed as a whole (unreachable, …): the last data stays on screen, marked stale. */
  readonly problem?: string;
}
export const DataMessage = new IpcMessageType<DataParams>(
  'dashboard/data',
  typed(v.object({
    panels: v.array(isPanelData, 100),
    fetchedAt: v.num,
    start: v.num,
    end: v.num,
    profiles: v.array(v.str(100), 20),
    scrapeIntervalSeconds: v.num,
    problem: v.optional(v.str()),
  })),
);

/** Host → webview: the custom PromQL panel's result (data, or Prometheus's error). */
export const CustomResultMessage = new IpcMessageType<{ readonly panel: PanelData; readonly query: string }>(
  'dashboard/customResult',
  typed(v.object({ panel: isPanelData, query: v.str() })),
);

/** Webview → host: loaded; the width in CSS px of each panel's canvas. */
export const ReadyMessage = new IpcMessageType<{ readonly widths: Readonly<Record<string, number>> }>(
  'dashboard/ready',
  typed(v.object({ widths: v.record(v.num, 100) })),
);

/** Webview → host: the canvases changed width (one point per pixel at most). */
export const ResizeMessage = new IpcMessageType<{ readonly widths: Readonly<Record<string, number>> }>(
  'dashboard/resize',
  typed(v.object({ widths: v.record(v.num, 100) })),
);

export const SetRangeMessage = new IpcMessageType<{ readonly range: TimeRange }>(
  'dashboard/setRange',
  typed(v.object({ range: v.oneOf(TIME_RANGES) })),
);

export const RefreshMessage = new IpcMessageType<Record<string, never>>('dashboard/refresh', typed(v.object({})));

/** Webview → host: run this PromQL in the custom panel ('' clears it). */
export const RunQueryMessage = new IpcMessageType<{ readonly query: string }>(
  'dashboard/runQuery',
  typed(v.object({ query: v.str() })),
);

/** Webview → host: open this PromQL in Prometheus's own UI (the host opens the browser). */
export const OpenInPrometheusMessage = new IpcMessageType<{ readonly query: string }>(
  'dashboard/openInPrometheus',
  typed(v.object({ query: v.str() })),
);

/** The only messages the dashboard's host accepts from its webview. */
export const DASHBOARD_FROM_WEBVIEW: readonly IpcMessageType<unknown>[] = [
  ReadyMessage,
  ResizeMessage,
  SetRangeMessage,
  RefreshMessage,
  RunQueryMessage,
  OpenInPrometheusMessage,
];

/** The only messages the dashboard webview accepts from its host. */
export const DASHBOARD_TO_WEBVIEW: readonly IpcMessageType<unknown>[] = [InitMessage, DataMessage, CustomResultMessage];

// ---------------------------------------------------------------------------------------------
// Comparison panel (webview/compare): its messages and allow-lists go here.

export const COMPARE_UNITS = ['ms', 'bytes', 'count'] as const;
export const VERDICTS = ['better', 'worse', 'same', 'neutral'] as const;
export const EXPORT_FORMATS = ['markdown', 'csv'] as const;
export const EXPORT_TARGETS = ['clipboard', 'file'] as const;

/** One side of the comparison: who it is and where its figures come from. */
export interface CompareRunInfo {
  readonly name: string;
  readonly appId: string;
  /** Epoch ms. */
  readonly startTime?: number;
  readonly wallTimeMs?: number;
  /** `History Server`, `live driver`. */
  readonly servedBy: string;
  /** How many runs were averaged (Measure Cache Impact with N > 1). */
  readonly runs: number;
  /** What this side is, e.g. `without the cache at job.py:18`. */
  readonly role?: string;
}

/** model/compare's ComparisonRow, as it crosses the boundary (undefined fields are left out). */
export interface CompareRowData {
  readonly metric: string;
  readonly label: string;
  readonly unit: (typeof COMPARE_UNITS)[number];
  readonly a?: number;
  readonly b?: number;
  readonly difference?: number;
  readonly percentChange?: number;
  readonly rip?: number;
  readonly lowerIsBetter: boolean;
  readonly verdict?: (typeof VERDICTS)[number];
}

export interface StageFiguresData {
  readonly count: number;
  readonly durationMs: number;
  readonly executorRunTimeMs: number;
}

export interface CompareStageData {
  readonly callSite: string;
  readonly placeable: boolean;
  readonly a?: StageFiguresData;
  readonly b?: StageFiguresData;
}

/** One overlaid chart: both runs' series on seconds since each run started. */
export interface OverlayData {
  readonly id: string;
  readonly title: string;
  readonly unit: 'bytes' | 'seconds';
  readonly a: { readonly x: readonly number[]; readonly y: readonly (number | null)[] };
  readonly b: { readonly x: readonly number[]; readonly y: readonly (number | null)[] };
  readonly maxX: number;
  /** Which source the overlay shows (absent: Prometheus). */
  readonly source?: DataSource;
}

/** Host → webview: everything the panel shows. */
export interface CompareData {
  readonly a: CompareRunInfo;
  readonly b: CompareRunInfo;
  readonly rows: readonly CompareRowData[];
  /** Stages matched by call site first, then those of one run only. */
  readonly stages: readonly CompareStageData[];
  readonly overlays: readonly OverlayData[];
  /** Why there is no overlay (no Prometheus, no series for a run), when there is none. */
  readonly overlayNote?: string;
  /** Figures the sources could not give, and why (e.g. peaks not in the event log). */
  readonly notes: readonly string[];
}

const isRunInfo = v.object({
  name: v.str(2000),
  appId: v.str(2000),
  startTime: v.optional(v.num),
  wallTimeMs: v.optional(v.num),
  servedBy: v.str(200),
  runs: v.num,
  role: v.optional(v.str(2000)),
});
const isStageFigures = v.object({ count: v.num, durationMs: v.num, executorRunTimeMs: v.num });
const isXY = v.object({ x: v.array(v.num, 20_000), y: v.array(v.numOrNull, 20_000) });

export const CompareDataMessage = new IpcMessageType<CompareData>(
  'compare/data',
  typed(v.object({
    a: isRunInfo,
    b: isRunInfo,
    rows: v.array(v.object({
      metric: v.str(100),
      label: v.str(200),
      unit: v.oneOf(COMPARE_UNITS),
      a: v.optional(v.num),
      b: v.optional(v.num),
      difference: v.optional(v.num),
      percentChange: v.optional(v.num),
      rip: v.optional(v.num),
      lowerIsBetter: v.bool,
      verdict: v.optional(v.oneOf(VERDICTS)),
    }), 100),
    stages: v.array(v.object({
      callSite: v.str(),
      placeable: v.bool,
      a: v.optional(isStageFigures),
      b: v.optional(isStageFigures),
    }), 5000),
    overlays: v.array(v.object({
      id: v.str(100),
      title: v.str(200),
      unit: v.oneOf(['bytes', 'seconds'] as const),
      a: isXY,
      b: isXY,
      maxX: v.num,
      source: v.optional(v.oneOf(DATA_SOURCES)),
    }), 20),
    overlayNote: v.optional(v.str()),
    notes: v.array(v.str(), 50),
  })),
);

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
export const COMPARE_TO_WEBVIEW: readonly IpcMessageType<unknown>[] = [CompareDataMessage, CompareStatusMessage];
