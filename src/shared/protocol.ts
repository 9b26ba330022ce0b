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

// Small validators, composed below; each is a type guard, so a message's parameter type is
// derived from its validator (`Infer`) and declared once. Strings and arrays are capped: a
// message is never a way to make the other side allocate without bound.
const MAX_TEXT = 10_000;
const MAX_ITEMS = 100_000;

/** A validator that is also the type it checks. */
export type Guard<T> = (x: unknown) => x is T;
/** The type a validator checks. */
export type Infer<G> = G extends Guard<infer T> ? T : never;
type Shape = Record<string, Guard<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & unknown;
/** The object type of a shape: fields whose validator accepts undefined are optional. */
export type ObjectOf<S extends Shape> = Flat<
  { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { readonly [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const v = {
  str: (max = MAX_TEXT): Guard<string> => (x: unknown): x is string => typeof x === 'string' && x.length <= max,
  num: ((x: unknown) => typeof x === 'number' && Number.isFinite(x)) as Guard<number>,
  /** A finite number or null (a gap in a series: NaN and ±Inf arrive as null). */
  numOrNull: ((x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x))) as Guard<number | null>,
  bool: ((x: unknown) => typeof x === 'boolean') as Guard<boolean>,
  oneOf: <T extends string>(values: readonly T[]): Guard<T> => (x: unknown): x is T => typeof x === 'string' && (values as readonly string[]).includes(x),
  optional: <T>(f: Guard<T>): Guard<T | undefined> => (x: unknown): x is T | undefined => x === undefined || f(x),
  array: <T>(f: Guard<T>, max = MAX_ITEMS, min = 0): Guard<readonly T[]> => (x: unknown): x is readonly T[] =>
    Array.isArray(x) && x.length <= max && x.length >= min && x.every(f),
  record: <T>(f: Guard<T>, max = 1000): Guard<Readonly<Record<string, T>>> => (x: unknown): x is Readonly<Record<string, T>> =>
    isRecord(x) && Object.keys(x).length <= max && Object.values(x).every(f),
  /** An object with exactly these fields (extra fields are refused, missing optional ones allowed). */
  object: <S extends Shape>(shape: S): Guard<ObjectOf<S>> => (x: unknown): x is ObjectOf<S> => {
    if (!isRecord(x)) return false;
    for (const k of Object.keys(x)) if (!(k in shape)) return false;
    for (const [k, f] of Object.entries(shape)) if (!f(x[k])) return false;
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

/**
 * Where a panel's or an overlay's data comes from: Prometheus, or the store's built-in series
 * (the REST figures it polls, kept over time) when Prometheus has nothing for the application.
 */
export const DATA_SOURCES = ['prometheus', 'built-in'] as const;
export const isDataSource = v.oneOf(DATA_SOURCES);
export type DataSource = Infer<typeof isDataSource>;

/** The id of the custom PromQL panel (the other ids are model/promql's PanelId). */
export const CUSTOM_PANEL_ID = 'custom';

const isDashboardStateShape = v.object({ appKey: v.str(1000), range: v.oneOf(TIME_RANGES), customQuery: v.str() });
/** What the webview persists with setState and the serializer hands back after a reload. */
export type DashboardState = Infer<typeof isDashboardStateShape>;
export const isDashboardState: Guard<DashboardState> = isDashboardStateShape;

const isSeriesData = v.object({
  label: v.str(2000),
  /** Epoch ms. */
  x: v.array(v.num),
  /** Same length as x; null is a gap (no sample, NaN or ±Inf). */
  y: v.array(v.numOrNull),
});
export type SeriesData = Infer<typeof isSeriesData>;

const isError = v.object({ errorType: v.str(200), message: v.str() });

/**
 * One panel's data. Checked one panel at a time on arrival: a panel that fails its check shows
 * an error in that panel only (the others are drawn).
 */
export const isPanelData = v.object({
  id: v.str(100),
  title: v.str(200),
  unit: v.oneOf(PANEL_UNITS),
  /** At most the host's top k and "all others" (model/chartSeries.ts), with room to spare. */
  series: v.array(isSeriesData, 1000),
  /** Finite bounds of every value drawn, null when there is none: axes never see NaN or Inf. */
  yMin: v.numOrNull,
  yMax: v.numOrNull,
  /** Set when the panel's metrics are missing: the setting that turns them on. */
  missing: v.optional(v.str()),
  /** A note under the chart (e.g. a metric that exists but stays 0). */
  note: v.optional(v.str()),
  /** Prometheus's own error, as it said it. */
  error: v.optional(isError),
  warnings: v.array(v.str(), 100),
  /** The PromQL behind the panel, for tooltips and "open in Prometheus". */
  queries: v.array(v.str(), 20),
  stepSeconds: v.num,
  profile: v.optional(v.str(100)),
  /** Which source the panel shows (absent: Prometheus); the webview names it under the chart. */
  source: v.optional(isDataSource),
});
export type PanelData = Infer<typeof isPanelData>;

const isInitParams = v.object({
  state: isDashboardStateShape,
  appName: v.str(2000),
  appId: v.str(1000),
  running: v.bool,
  /** Panels in display order, so the webview lays them out before data arrives. */
  panels: v.array(v.object({ id: v.str(100), title: v.str(200), unit: v.oneOf(PANEL_UNITS) }), 100),
  /** Prometheus is not reachable or not configured: why. */
  problem: v.optional(v.str()),
});
/** Host → webview: who the dashboard is for (sent on ready and whenever it changes). */
export type InitParams = Infer<typeof isInitParams>;
export const InitMessage = new IpcMessageType<InitParams>('dashboard/init', isInitParams);

/** A panel as the data message carries it: an object naming its panel (its fields are checked by isPanelData). */
const isPanelEnvelope = (x: unknown): x is PanelData => typeof x === 'object' && x !== null && !Array.isArray(x) && v.str(100)((x as { id?: unknown }).id);

const isDataParams = v.object({
  panels: v.array(isPanelEnvelope, 100),
  /** Epoch ms when the data was fetched; the range drawn, epoch ms. */
  fetchedAt: v.num,
  start: v.num,
  end: v.num,
  profiles: v.array(v.str(100), 20),
  scrapeIntervalSeconds: v.num,
  /** The time range the data was read for. */
  range: v.oneOf(TIME_RANGES),
  /** Prometheus failed as a whole (unreachable, …): the last data stays on screen, marked stale. */
  problem: v.optional(v.str()),
});
/** Host → webview: a refresh's results. */
export type DataParams = Infer<typeof isDataParams>;
export const DataMessage = new IpcMessageType<DataParams>('dashboard/data', isDataParams);

/** Host → webview: the custom PromQL panel's result (data, or Prometheus's error). */
export const CustomResultMessage = new IpcMessageType<{ readonly panel: PanelData; readonly query: string }>(
  'dashboard/customResult',
  typed(v.object({ panel: isPanelEnvelope, query: v.str() })),
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
