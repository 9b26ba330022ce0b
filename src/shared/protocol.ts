/**
 * The typed message protocol between the extension host and its webviews, imported by both
 * sides (webview/tsconfig.json includes src/shared). As in GitLens's ipc: each message is
 * declared once, as a value that carries its parameter type and its own validator, and both
 * sides switch on it with `isMessage`. Nothing here imports `vscode` or the DOM.
 *
 * Every message that crosses the boundary is untrusted on arrival: a side accepts only the
 * message types in its allow-list and only when the parameters have the declared field types
 * (`parseMessage`); anything else is ignored. Each panel declares its own message values and
 * allow-lists: the dashboard's below, the comparison's in compareProtocol.ts.
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

/** A validator built from the small ones above, declared as the type it checks. */
export function typed<P>(f: (x: unknown) => boolean): Validator<P> {
  return f as Validator<P>;
}

// ---------------------------------------------------------------------------------------------
// Dashboard (webview/charts)

export const TIME_RANGES = ['5m', '15m', '1h', '6h', 'lifetime'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

export const PANEL_UNITS = ['bytes', 'seconds', 'percent', 'count', 'bytesPerSecond', 'perSecond', 'cores'] as const;
export type Unit = (typeof PANEL_UNITS)[number];

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
  /** The time range the data was read for (the control may have moved on since). */
  readonly range: TimeRange;
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
    range: v.oneOf(TIME_RANGES),
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
