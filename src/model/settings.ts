/**
 * What the settings mean, as pure functions: the bounds of every number, and the one reader that
 * turns the raw values VS Code hands over into the typed snapshot (src/config.ts binds it to the
 * editor). package.json's schema and this file must agree; test/unit/settings.test.ts reads both.
 *
 * VS Code does not enforce a schema's `minimum`/`maximum` (a value out of range is only
 * underlined in settings.json) and any workspace can set a window-scoped number, so every number
 * is clamped here. The reason for each bound: Node fires a timer of more than 2^31-1 ms after
 * 1 ms, so `refreshInterval: 2147484` was a tight polling loop and `requestTimeout: 715828`
 * (times 3 for the total deadline) made every request time out at once.
 */
import { RETENTION_DAYS } from './retention';
import { connectUiUrl, parseConnectUrl } from './connectServer';
import type { SourceKind } from './types';
import type { PathMapping } from './callSite';
import { parsePathMappings } from './lineHints';
import { parseDisabledRules, type RuleId } from './rules';
import { normaliseSourceUrl, parsePortList } from './ports';

export const SECTION = 'sparkObservatory';

export interface NumberBound {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (package.json says `"type": "integer"`). */
  readonly integer: boolean;
}

const port = (dflt: number): NumberBound => ({ default: dflt, min: 0, max: 65535, integer: true });

/** Every numeric setting, by key under `sparkObservatory.`: default, bounds, whole or not. */
export const NUMBER_SETTINGS = {
  'discovery.historyServerPort': port(18080),
  'discovery.masterPort': port(8080),
  'discovery.prometheusPort': port(9090),
  // Seconds. One poll a second is the fastest a person can read; an hour is "nearly never".
  refreshInterval: { default: 3, min: 1, max: 3600, integer: false },
  statusBarInterval: { default: 30, min: 5, max: 3600, integer: false },
  // Seconds; the whole request may take 3×: 900 s stays far below Node's 2^31-1 ms timer limit.
  requestTimeout: { default: 5, min: 1, max: 300, integer: false },
  'history.maxApplications': { default: 20, min: 1, max: 1000, integer: true },
  // Seconds; 0 asks Prometheus's targets API.
  'prometheus.scrapeInterval': { default: 0, min: 0, max: 3600, integer: false },
  // Each run is a whole spark-submit of the file, twice (without and with the cache call). Three
  // each is the fewest with a median and a spread to judge noise by.
  'measureCacheImpact.runs': { default: 3, min: 1, max: 20, integer: true },
  // Days the extension keeps the event logs and hook event files of Run File in its own storage.
  'run.retentionDays': { default: RETENTION_DAYS.default, min: RETENTION_DAYS.min, max: RETENTION_DAYS.max, integer: true },
} as const satisfies Record<string, NumberBound>;

export type NumberSetting = keyof typeof NUMBER_SETTINGS;

/** A raw setting value as a number within its bounds: anything not a finite number is the default. */
export function clampSetting(key: NumberSetting, raw: unknown): number {
  const b: NumberBound = NUMBER_SETTINGS[key];
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return b.default;
  const v = b.integer ? Math.round(raw) : raw;
  return Math.min(b.max, Math.max(b.min, v));
}

export interface ConfiguredSource {
  readonly name: string;
  readonly url: string;
  readonly kind?: SourceKind;
  readonly caFile?: string;
  readonly group?: string;
  /**
   * A Spark Connect server (`sc://host:port`, secrets dropped): the source is its driver UI
   * (`uiUrl` when given, else the host at Spark's default UI port).
   */
  readonly connect?: string;
}

/** One snapshot of every setting of the extension. */
export interface Config {
  readonly sources: readonly ConfiguredSource[];
  readonly discovery: {
    readonly enabled: boolean;
    readonly driverPorts: readonly number[];
    readonly historyServerPort: number;
    readonly masterPort: number;
    readonly prometheusPort: number;
  };
  readonly refreshIntervalMs: number;
  readonly statusBarIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly historyMaxApplications: number;
  /** Start Spark's own History Server over the Run-File event logs where none reads them. */
  readonly historyStartOwn: boolean;
  readonly sparkSubmitPath: string;
  readonly prometheus: {
    /** `<profile>.<panel>.<series>` → PromQL; blank values left out. */
    readonly queryOverrides: Readonly<Record<string, string>>;
    /** 0: ask Prometheus. */
    readonly scrapeIntervalSeconds: number;
  };
  readonly run: {
    readonly master: string;
    /** `connect`: the file's session is a Spark Connect one (SPARK_API_MODE=connect); `classic`: py4j. */
    readonly apiMode: 'classic' | 'connect';
    /** '' : the extension's global storage. */
    readonly eventLogDir: string;
    readonly extraConf: Readonly<Record<string, string>>;
    readonly retentionDays: number;
  };
  readonly cacheLensEnabled: boolean;
  readonly measureCacheImpactRuns: number;
  readonly inlineHintsEnabled: boolean;
  readonly findingsEnabled: boolean;
  /** `findings.disabledRules`: rule ids whose findings are not shown (unknown ids left out). */
  readonly disabledRules: readonly RuleId[];
  readonly pathMappings: readonly PathMapping[];
}

const KINDS: readonly SourceKind[] = ['driver', 'history', 'master', 'prometheus'];

function readSources(raw: unknown): ConfiguredSource[] {
  if (!Array.isArray(raw)) return [];
  const seen = new Set<string>();
  const out: ConfiguredSource[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) continue;
    const o = s as Record<string, unknown>;
    // A Spark Connect server is read through its driver UI: the REST API of its application.
    const target = typeof o.url === 'string' && /^sc:\/\//i.test(o.url.trim()) ? parseConnectUrl(o.url) : undefined;
    const connectUi = target && connectUiUrl(target, undefined, typeof o.uiUrl === 'string' ? o.uiUrl : undefined);
    const url = connectUi ? normaliseSourceUrl(connectUi) : typeof o.url === 'string' ? normaliseSourceUrl(o.url) : undefined;
    const name = typeof o.name === 'string' && o.name.trim() ? o.name.trim() : url;
    if (!url || !name || seen.has(name)) continue;
    seen.add(name);
    out.push({
      name,
      url,
      ...(target ? { connect: `sc://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}` } : {}),
      kind: target ? 'driver' : KINDS.includes(o.kind as SourceKind) ? (o.kind as SourceKind) : undefined,
      caFile: typeof o.caFile === 'string' && o.caFile ? o.caFile : undefined,
      group: typeof o.group === 'string' && o.group ? o.group : undefined,
    });
  }
  return out;
}

/** An object setting's values that `keep` accepts, as text; anything else left out. */
function stringMap(raw: unknown, keep: (v: unknown) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw)) if (keep(v)) out[k] = String(v);
  return out;
}

const nonBlank = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * The snapshot from `get(key)`, the raw value of `sparkObservatory.<key>` (undefined when unset
 * and without a default). Every value is checked: a wrong type is the default, a number is
 * clamped to its bounds.
 */
export function parseConfig(get: (key: string) => unknown): Config {
  const num = (key: NumberSetting) => clampSetting(key, get(key));
  const bool = (key: string, dflt: boolean) => {
    const v = get(key);
    return typeof v === 'boolean' ? v : dflt;
  };
  const str = (key: string, dflt: string) => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : dflt;
  };
  return {
    sources: readSources(get('sources')),
    discovery: {
      enabled: bool('discovery.enabled', true),
      driverPorts: parsePortList(str('discovery.driverPorts', '4040-4050')),
      historyServerPort: num('discovery.historyServerPort'),
      masterPort: num('discovery.masterPort'),
      prometheusPort: num('discovery.prometheusPort'),
    },
    refreshIntervalMs: num('refreshInterval') * 1000,
    statusBarIntervalMs: num('statusBarInterval') * 1000,
    requestTimeoutMs: num('requestTimeout') * 1000,
    historyMaxApplications: num('history.maxApplications'),
    historyStartOwn: bool('history.startOwn', true),
    sparkSubmitPath: str('sparkSubmitPath', ''),
    prometheus: {
      queryOverrides: stringMap(get('prometheus.queryOverrides'), nonBlank),
      scrapeIntervalSeconds: num('prometheus.scrapeInterval'),
    },
    run: {
      master: str('run.master', '') || 'local[*]',
      apiMode: str('run.apiMode', 'classic') === 'connect' ? 'connect' : 'classic',
      eventLogDir: str('run.eventLogDir', ''),
      extraConf: stringMap(get('run.extraConf'), scalar),
      retentionDays: num('run.retentionDays'),
    },
    cacheLensEnabled: bool('cacheLens.enabled', true),
    measureCacheImpactRuns: num('measureCacheImpact.runs'),
    inlineHintsEnabled: bool('inlineHints.enabled', true),
    findingsEnabled: bool('findings.enabled', true),
    disabledRules: parseDisabledRules(get('findings.disabledRules')),
    pathMappings: parsePathMappings(get('hints.pathMappings')),
  };
}
