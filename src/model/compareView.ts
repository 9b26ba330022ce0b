/**
 * What the comparison panel and "Measure Cache Impact" need beyond model/compare.ts, as pure
 * functions: the applications offered in the quick pick, the mean of several runs, the
 * Prometheus overlay queries, the cache call a palette invocation means, the application id of
 * an event-log file, and the order of the measured runs.
 */
import type { ApplicationState } from './types';
import type { RunAggregate } from './compare';
import type { CacheCall } from './cacheScanner';
import { escapeLabelValue } from './promql';
import { formatDuration } from './format';
import { runningFor } from './driverClock';

// ---------------------------------------------------------------------------------------------
// The quick pick

/** What the quick pick needs of an application (an AppEntry, without the store). */
export interface PickableApp {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly state: ApplicationState;
  readonly startTime?: number;
  readonly durationMs?: number;
  /** The serving driver's clock minus ours (model/driverClock.ts). */
  readonly clockOffsetMs?: number;
  readonly via: string;
  readonly group: string;
}

export interface AppPickItem {
  readonly key: string;
  readonly label: string;
  readonly description: string;
  readonly detail: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-21 07:12:05` in UTC: the same text on every machine, tests and screenshots included. */
export function formatStart(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'start unknown';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/**
 * Applications of every source, live and finished, most recently started first (a run's
 * comparison is usually with the run just before it), as quick-pick items: the name to filter
 * on, then start, duration, state and where it is read from. `exclude` drops the one already
 * picked as A. Applications only Prometheus or a Master knows are left out: they have no REST
 * API to aggregate.
 */
export function appPickItems(apps: readonly PickableApp[], now: number, exclude?: string): AppPickItem[] {
  return apps
    .filter((a) => a.key !== exclude && (a.via === 'driver' || a.via === 'history'))
    .slice()
    .sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0) || a.id.localeCompare(b.id))
    .map((a) => {
      const running = a.state === 'running';
      const duration = running ? runningFor(a.startTime, now, a.clockOffsetMs).ms : a.durationMs;
      return {
        key: a.key,
        label: a.name || a.id,
        description: `${formatStart(a.startTime)} · ${formatDuration(duration)}${running ? ' so far' : ''}`,
        detail: `${a.id} · ${running ? 'running' : 'finished'} · ${a.via === 'history' ? 'History Server' : 'live driver'} · ${a.group}`,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Several runs of one variant

/**
 * The mean of several runs of one variant, field by field (Measure Cache Impact with N > 1):
 * a figure missing from any run is missing from the mean, so no mean mixes runs that did and
 * did not report it. One run is returned as it is.
 */
export function meanAggregate(runs: readonly RunAggregate[]): RunAggregate {
  if (runs.length === 0) throw new Error('meanAggregate needs at least one run');
  if (runs.length === 1) return runs[0];
  const first = runs[0];
  const out: Record<string, unknown> = {
    appId: runs.map((r) => r.appId).join(', '),
    name: `${first.name} (mean of ${runs.length} runs)`,
  };
  for (const k of Object.keys(first) as (keyof RunAggregate)[]) {
    if (k === 'appId' || k === 'name') continue;
    const values = runs.map((r) => r[k]);
    out[k] = values.every((v) => typeof v === 'number') ? (values as number[]).reduce((s, v) => s + v, 0) / values.length : undefined;
  }
  return out as unknown as RunAggregate;
}

// ---------------------------------------------------------------------------------------------
// Prometheus overlay

export interface OverlaySpec {
  readonly id: 'storageMemory' | 'jvmHeap' | 'gcTime';
  readonly title: string;
  readonly unit: 'bytes' | 'seconds';
  /** PromQL for one application. */
  readonly expr: (appId: string) => string;
}

const sel = (appId: string) => `application_id="${escapeLabelValue(appId)}"`;

/**
 * Memory and GC of a run as one series each, summed over its JVMs, from the executor endpoint
 * (Spark 3.5/4.x names, as the dashboard's default templates). GC is the cumulative GC time, not
 * a rate: two runs' curves then compare without a rate window, and the end value is the total.
 */
export const OVERLAYS: readonly OverlaySpec[] = [
  { id: 'storageMemory', title: 'Storage memory used', unit: 'bytes', expr: (a) => `sum(metrics_executor_memoryUsed_bytes{${sel(a)}})` },
  { id: 'jvmHeap', title: 'JVM heap (peak so far)', unit: 'bytes', expr: (a) => `sum(metrics_executor_JVMHeapMemory_bytes{${sel(a)}})` },
  { id: 'gcTime', title: 'GC time (cumulative)', unit: 'seconds', expr: (a) => `sum(metrics_executor_totalGCTime_seconds_total{${sel(a)}})` },
];

// ---------------------------------------------------------------------------------------------
// Measure Cache Impact

/**
 * The cache call a palette invocation means: the one on the cursor's line, else the nearest one
 * above it within `maxDistance` lines (the cursor often sits on the next statement), else the
 * nearest below. Lines are 0-based, as in the editor.
 */
export function cacheCallNear(calls: readonly CacheCall[], line: number, maxDistance = 3): CacheCall | undefined {
  const on = calls.find((c) => c.line === line);
  if (on) return on;
  let best: CacheCall | undefined;
  let bestScore = Infinity;
  for (const c of calls) {
    const d = line - c.line;
    // Above the cursor first (d > 0), then below; within the distance.
    const score = d > 0 ? d : -d + 0.5;
    if (Math.abs(d) <= maxDistance && score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The application id behind an entry of an event-log folder: `local-1795244880219`,
 * `app-20251121070118-0001.inprogress`, `local-1.zstd` (compressed), or a rolling event log's
 * folder `eventlog_v2_local-1795244735912` (the default from Spark 4.0). Undefined for anything
 * else (hidden files, checksums).
 */
export function eventLogAppId(entry: string): string | undefined {
  let n = entry.trim();
  if (n === '' || n.startsWith('.')) return undefined;
  n = n.replace(/^eventlog_v2_/, '');
  n = n.replace(/\.inprogress$/, '');
  n = n.replace(/\.(lz4|lzf|snappy|zstd)$/, '');
  if (n.endsWith('.crc')) return undefined;
  return /^[A-Za-z0-9][\w.-]*$/.test(n) ? n : undefined;
}

/** Applications whose event logs appeared in a folder between two listings. */
export function newEventLogApps(before: readonly string[], after: readonly string[]): string[] {
  const old = new Set(before.map(eventLogAppId).filter((x): x is string => !!x));
  const out: string[] = [];
  for (const e of after) {
    const id = eventLogAppId(e);
    if (id && !old.has(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

export type CacheVariant = 'withoutCache' | 'withCache';

/**
 * The order of the measured runs: alternating, without the cache first, so a machine that
 * warms up (JIT, page cache) or slows down over the measurement favours neither variant.
 */
export function measurementPlan(runsPerVariant: number): CacheVariant[] {
  const n = Math.max(1, Math.min(20, Math.floor(runsPerVariant) || 1));
  const out: CacheVariant[] = [];
  for (let i = 0; i < n; i++) out.push('withoutCache', 'withCache');
  return out;
}
