/**
 * A dashboard's data, read by the store: one feed per open dashboard, a scheduler task of its own
 * while the dashboard is shown (visible, window focused), cancelled when it hides. A refresh asks
 * Prometheus only for the steps since the last one and appends them (model/chartSeries.ts), so
 * its bytes grow with the time since the last refresh, not with the window. The feature posts
 * what the feed publishes; it never reads Prometheus itself.
 *
 * Where Prometheus has nothing for the application (no Prometheus, or none that scraped its
 * driver), the feed publishes the store's built-in series instead (dashboardBuiltin.ts), every
 * panel marked with the source it shows. So that they exist, an open dashboard (shown or not)
 * keeps its application's executor and stage lists watched: a point at each poll.
 */
import type { PrometheusClient } from '../sources/prometheus';
import type { AppEntry } from '../model/entries';
import type { KeptSeries } from '../model/chartSeries';
import type { AppSeries } from '../model/series';
import { FailureLog } from '../model/failureLog';
import { PANELS } from '../model/promql';
import { CUSTOM_PANEL_ID, DataParams, PanelData, TimeRange } from '../shared/protocol';
import type { Scheduler } from './scheduler';
import type { DetailState } from './appReads';
import { builtinDashboard } from './dashboardBuiltin';
import {
  DashboardApp,
  DashboardUnavailable,
  detect,
  Detection,
  DEFAULT_WIDTH_PX,
  PanelRequest,
  planPanels,
  planRange,
  readCustom,
  readPanel,
  timeWindow,
} from './dashboardReads';

/** Profiles are looked for again this often: metrics can appear after the first executor starts. */
const REDETECT_MS = 60_000;
export const WAITING = 'Waiting for the application to be listed by a source…';
export const NO_PROMETHEUS =
  'No Prometheus source, and no built-in series yet: the extension records them while it polls a running application (keep this dashboard open while it runs), or add a Prometheus source (Spark: Add Source…).';
/** While the built-in series are shown, Prometheus is asked again this often (it may start scraping the driver). */
const REDETECT_BUILTIN_MS = 30_000;

/** What the dashboard asks for. */
export interface FeedRequest {
  readonly range: TimeRange;
  /** CSS px of each panel's canvas (`default` for those not measured yet). */
  readonly widths: Readonly<Record<string, number>>;
  readonly customQuery: string;
  readonly queryOverrides: Readonly<Record<string, string>>;
  /** 0: ask Prometheus's targets API. */
  readonly scrapeIntervalSetting: number;
}

/** What the feed publishes. */
export interface FeedSnapshot {
  readonly data: DataParams;
  readonly custom?: { readonly panel: PanelData; readonly query: string };
}

/** What a feed needs of the store. */
export interface FeedHost {
  readonly scheduler: Scheduler;
  entry(key: string): AppEntry | undefined;
  detail(key: string): DetailState | undefined;
  prometheusFor(key: string): Promise<PrometheusClient | undefined>;
  watch(key: string): { dispose(): void };
  /** Keeps the application's built-in series recorded (its executor and stage lists watched, live). */
  record(key: string): { dispose(): void };
  /** The application's built-in series, when the store has them. */
  series(key: string): AppSeries | undefined;
  refreshIntervalMs(): number;
  now(): number;
  warn(msg: string): void;
}

let nextFeed = 1;

/** The application as the dashboard's queries need it. */
export function dashboardApp(e: AppEntry, detail: DetailState | undefined): DashboardApp {
  const ns = detail?.detail.environment?.sparkProperties['spark.metrics.namespace'];
  const end = e.app.endTime ?? (e.app.startTime !== undefined && e.app.durationMs !== undefined ? e.app.startTime + e.app.durationMs : undefined);
  return {
    id: e.app.id,
    name: e.app.name,
    startTime: e.app.startTime,
    endTime: end,
    running: e.app.state === 'running',
    // `${spark.app.id}`-style namespaces resolve to the id, which is tried anyway.
    metricsNamespace: ns && !ns.includes('${') ? ns : undefined,
  };
}

export class DashboardFeed {
  private readonly task = `dashboard:${nextFeed++}`;
  private request: FeedRequest | undefined;
  private active = false;
  private detection: { value: Detection; at: number; appId: string } | undefined;
  private kept = new Map<string, KeptSeries>();
  private lastStepSeconds = 0;
  private drawn = false;
  private redetect = false;
  private watchHandle: { dispose(): void } | undefined;
  private recording: { dispose(): void };
  private readonly failures = new FailureLog();
  private readonly listeners = new Set<(s: FeedSnapshot) => void>();
  /** What the feed published last. */
  last: FeedSnapshot | undefined;

  constructor(
    private readonly host: FeedHost,
    private appKey: string,
  ) {
    this.recording = host.record(appKey);
  }

  onDidChange(l: (s: FeedSnapshot) => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  /** The panel follows its application to another key (model/appKey.ts). */
  setAppKey(key: string): void {
    if (key === this.appKey) return;
    this.appKey = key;
    this.detection = undefined;
    this.kept.clear();
    this.recording.dispose();
    this.recording = this.host.record(key);
    if (this.active) this.rewatch();
  }

  /** A new request: a new range or a query reads the whole window; a width change re-plans the steps. */
  setRequest(r: FeedRequest): void {
    const prev = this.request;
    this.request = r;
    if (prev && (prev.queryOverrides !== r.queryOverrides || prev.scrapeIntervalSetting !== r.scrapeIntervalSetting)) this.detection = undefined;
    if (this.active) this.host.scheduler.kick(this.task);
  }

  /** Shown (visible, window focused) or not: a hidden dashboard reads nothing, and what is in flight is cancelled. */
  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (active) {
      this.rewatch();
      this.host.scheduler.ensure(this.task, { interval: () => this.interval(), run: (signal) => this.run(signal) });
    } else {
      this.host.scheduler.remove(this.task);
      this.watchHandle?.dispose();
      this.watchHandle = undefined;
    }
  }

  /** The application was listed, ended or changed key: read now. */
  kick(): void {
    if (this.active) this.host.scheduler.kick(this.task);
  }

  /** The user asked: profiles detected again, everything read now. */
  async refresh(): Promise<void> {
    this.redetect = true;
    if (this.active) await this.host.scheduler.refresh([this.task]);
  }

  dispose(): void {
    this.setActive(false);
    this.recording.dispose();
    this.listeners.clear();
  }

  /** While the dashboard is shown, the application's environment is read (its metrics namespace). */
  private rewatch(): void {
    this.watchHandle?.dispose();
    this.watchHandle = this.host.watch(this.appKey);
  }

  private interval(): number | undefined {
    const e = this.host.entry(this.appKey);
    // Not listed: the store's change event kicks the feed, not a timer. A finished application's
    // data does not change: nothing once it has been drawn.
    if (!e || (e.app.state !== 'running' && this.drawn)) return undefined;
    return Math.max(this.host.refreshIntervalMs(), this.lastStepSeconds * 1000, 1000);
  }

  private publish(s: FeedSnapshot): void {
    this.last = s;
    for (const l of [...this.listeners]) l(s);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const r = this.request;
    if (!r) return;
    const now = this.host.now();
    const empty = { panels: [], fetchedAt: now, start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, range: r.range };
    const e = this.host.entry(this.appKey);
    if (!e) return this.publish({ data: { ...empty, problem: WAITING } });
    try {
      const prom = await this.host.prometheusFor(this.appKey);
      const snapshot = prom ? await this.read(prom, e, r, now, signal) : this.builtin(e, r, now);
      if (!snapshot) return this.publish({ data: { ...empty, problem: NO_PROMETHEUS } });
      if (signal.aborted) return;
      this.drawn = true;
      this.failures.ok(this.appKey, now);
      this.publish(snapshot);
    } catch (err) {
      if (signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      // One log line per failure, not one per refresh while Prometheus is down.
      if (this.failures.failed(this.appKey, message, now)) this.host.warn(`dashboard ${this.appKey}: ${message}`);
      // The last data stays on screen; the status line says what went wrong.
      this.publish({ data: { ...empty, problem: `Prometheus: ${message}` }, custom: this.last?.custom });
    }
  }

  /**
   * The built-in series' panels over the request's window; undefined when the store has none for
   * the application. Prometheus's kept steps go: when it has the application again, it is read whole.
   */
  private builtin(e: AppEntry, r: FeedRequest, now: number): FeedSnapshot | undefined {
    const window = timeWindow(r.range, dashboardApp(e, this.host.detail(e.key)), now);
    const data = builtinDashboard(this.host.series(this.appKey), window, (id) => r.widths[id] ?? r.widths.default ?? DEFAULT_WIDTH_PX, now, r.range);
    if (!data) return undefined;
    this.kept.clear();
    this.lastStepSeconds = 0;
    return { data };
  }

  /**
   * One refresh: detection when due, every panel (appended to what is kept), the custom query;
   * the built-in series instead when Prometheus has no metrics of the application and they exist.
   */
  private async read(prom: PrometheusClient, e: AppEntry, r: FeedRequest, now: number, signal: AbortSignal): Promise<FeedSnapshot> {
    const app = dashboardApp(e, this.host.detail(e.key));
    if (this.redetect || !this.detection || this.detection.appId !== app.id || now - this.detection.at > REDETECT_MS) {
      this.redetect = false;
      this.detection = { value: await detect(prom, app, r.scrapeIntervalSetting, signal), at: now, appId: app.id };
    }
    const detection = this.detection.value;
    if (detection.detected.profiles.length === 0) {
      const own = this.builtin(e, r, now);
      if (own) {
        // Prometheus may start scraping the driver any moment (a new target): asked again soon.
        if (now - this.detection.at > REDETECT_BUILTIN_MS) this.detection = undefined;
        return own;
      }
    }
    const window = timeWindow(r.range, app, now);
    const widthOf = (id: string) => r.widths[id] ?? r.widths.default ?? DEFAULT_WIDTH_PX;
    // Each panel's step follows its own canvas width; the rate window follows the step.
    const plansByStep = new Map<number, ReturnType<typeof planPanels>>();
    const reqs: PanelRequest[] = PANELS.map((p) => {
      const range = planRange(window, widthOf(p.id), detection.scrapeIntervalSeconds);
      let plans = plansByStep.get(range.step);
      if (!plans) {
        plans = planPanels(detection, app, range.step, r.queryOverrides);
        plansByStep.set(range.step, plans);
      }
      return { plan: plans.find((x) => x.id === p.id)!, range };
    });
    this.lastStepSeconds = Math.min(...reqs.map((q) => q.range.step));
    const customRange = planRange(window, widthOf(CUSTOM_PANEL_ID), detection.scrapeIntervalSeconds);
    let reads;
    try {
      reads = await Promise.all(reqs.map((q) => readPanel(prom, q, this.kept.get(q.plan.id), signal)));
    } catch (err) {
      throw err instanceof DashboardUnavailable ? err : new DashboardUnavailable(err instanceof Error ? err.message : String(err));
    }
    const custom = r.customQuery ? await readCustom(prom, r.customQuery, customRange, this.kept.get(CUSTOM_PANEL_ID), signal) : undefined;
    const kept = new Map<string, KeptSeries>();
    reads.forEach((x, i) => x.kept && kept.set(reqs[i].plan.id, x.kept));
    if (custom?.kept) kept.set(CUSTOM_PANEL_ID, custom.kept);
    this.kept = kept;
    return {
      data: {
        panels: reads.map((x) => ({ ...x.panel, source: 'prometheus' as const })),
        fetchedAt: now,
        start: reqs[0].range.start * 1000,
        end: reqs[0].range.end * 1000,
        profiles: [...detection.detected.profiles],
        scrapeIntervalSeconds: detection.scrapeIntervalSeconds,
        range: r.range,
      },
      custom: custom ? { panel: custom.panel, query: r.customQuery } : undefined,
    };
  }
}
