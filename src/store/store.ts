/**
 * The one store. Sources → store → features: the store reads every source (Spark REST, the
 * Master, Prometheus), keeps the last good data per source and per application, and tells the
 * features which keys changed (changes.ts). Features say what they look at (`watch`) and the
 * store reads only that, only when its summary says it may have changed (appReads.ts), on the
 * one scheduler (scheduler.ts):
 *
 * - `discovery` probes the loopback ports nobody answered on yet, each probe publishing alone;
 * - `source:<id>` reads one source's listing, publishing when it answers: one hanging source
 *   delays no other;
 * - `app:<key>` polls one application someone looks at (or a live one, for the status bar's
 *   summary), at the refresh interval while it is shown, else at the status-bar interval
 *   (appTasks.ts).
 *
 * It imports nothing from `vscode`, so integration tests drive it against a real Spark in Node.
 */
import { alertsForApp, SparkAlert, sparkAlerts } from '../model/alerts';
import { AppEntry, mergeEntries } from '../model/entries';
import { Scheduler } from './scheduler';
import { ChangeKeys, parseChangeKey, Signatures } from './changes';
import type { DetailState } from './appReads';
import { AppTasks } from './appTasks';
import { SourceSet } from './sourceSet';
import { StoreReads } from './reads';
import { DashboardFeed } from './dashboardFeed';
import type { GroupState, SourceState, StoreDeps, StoreSettings, WatchOptions } from './types';
import { RunRegistry } from './runs';
import { CacheImpactStore } from './cacheImpacts';
import { SeriesRecorder } from './series';
import type { AppSeries } from '../model/series';
import type { OwnSource } from './types';

export type { AppEntry } from '../model/entries';
export type { DetailState, SourceError } from './appReads';
export { toSourceError } from './appReads';
export type { GroupState, Logger, OwnSource, SourceState, StoreDeps, StoreSettings, WatchOptions } from './types';
export { LIGHT_MAX_STORAGE_MB } from './types';

export type ChangeListener = (keys: ReadonlySet<string>) => void;

export class Store {
  private settings: StoreSettings;
  private readonly scheduler: Scheduler;
  private readonly sourceSet: SourceSet;
  private entries: AppEntry[] = [];
  private entryByKey = new Map<string, AppEntry>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly sigs = new Signatures();
  private pending = new Set<string>();
  private viewVisible = false;
  private focused = true;
  private started = false;
  private disposed = false;
  private readonly now: () => number;
  /** Run File's runs and Measure Cache Impact's results: state the features share. */
  readonly runs = new RunRegistry();
  readonly cacheImpacts = new CacheImpactStore();
  /** Reads for one feature at a time (comparisons, dashboards), through the store's clients. */
  readonly reads: StoreReads;
  /** Built-in series of the applications polled (model/series.ts): charts where Prometheus has none. */
  private readonly seriesRec: SeriesRecorder;
  /** One feed per open dashboard: the store reads its series while it is shown. */
  readonly dashboards: { open(appKey: string): DashboardFeed };
  /** Who looks at which application, and the poll of each (appTasks.ts). */
  private readonly apps: AppTasks;

  constructor(settings: StoreSettings, private readonly deps: StoreDeps) {
    this.settings = settings;
    this.now = deps.now ?? Date.now;
    const random = deps.random ?? Math.random;
    this.scheduler = new Scheduler({ error: (m) => deps.log.error(`poll failed: ${m}`) }, () => this.now());
    this.sourceSet = new SourceSet({
      scheduler: this.scheduler,
      makeClient: deps.makeClient,
      log: deps.log,
      settings: () => this.settings,
      now: this.now,
      random,
      viewVisible: () => this.viewVisible,
      started: () => this.started,
      disposed: () => this.disposed,
      publish: () => this.publishSources(),
    });
    this.reads = new StoreReads({
      entry: (k) => this.entry(k),
      source: (id) => this.sourceSet.states.get(id),
      sources: () => [...this.sourceSet.states.values()],
      client: (cfg) => this.sourceSet.client(cfg),
      refresh: () => this.refresh(),
      series: (k) => this.series(k),
      now: this.now,
    });
    this.seriesRec = new SeriesRecorder({ dir: deps.seriesDir, warn: (m) => deps.log.warn(m) });
    this.apps = new AppTasks({
      scheduler: this.scheduler,
      sourceSet: this.sourceSet,
      seriesRec: this.seriesRec,
      log: deps.log,
      settings: () => this.settings,
      now: this.now,
      viewVisible: () => this.viewVisible,
      started: () => this.started,
      entries: () => this.entries,
      entry: (k) => this.entry(k),
      announce: (keys) => this.announce(keys),
    });
    this.dashboards = {
      open: (appKey) =>
        new DashboardFeed(
          {
            scheduler: this.scheduler,
            entry: (k) => this.entry(k),
            detail: (k) => this.detail(k),
            prometheusFor: (k) => this.reads.prometheusFor(k),
            // While a dashboard is shown, its application's environment (metrics namespace) is read.
            watch: (k) => this.watch(k, { parts: ['environment'] }),
            // While a dashboard is open, its application's built-in series get a point at each poll.
            record: (k) => this.watch(k, { parts: ['executors', 'stages'], live: true }),
            series: (k) => this.series(k),
            refreshIntervalMs: () => this.settings.refreshIntervalMs,
            now: this.now,
            warn: (m) => deps.log.warn(m),
          },
          appKey,
        ),
    };
    this.runs.onDidChange(() => this.announce([ChangeKeys.runs]));
    this.cacheImpacts.onDidChange(() => this.announce([ChangeKeys.runs]));
  }

  // --- what features read ------------------------------------------------------------

  /** The listener gets the keys that changed (changes.ts). */
  onDidChange(listener: ChangeListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** How many listeners are subscribed (leak checks in tests). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  allSources(): SourceState[] {
    return [...this.sourceSet.states.values()];
  }

  applications(): readonly AppEntry[] {
    return this.entries;
  }

  groups(): GroupState[] {
    const byName = new Map<string, { sources: SourceState[]; apps: AppEntry[] }>();
    for (const s of this.sourceSet.states.values()) {
      const g = byName.get(s.group) ?? { sources: [], apps: [] };
      g.sources.push(s);
      byName.set(s.group, g);
    }
    for (const e of this.entries) byName.get(e.group)?.apps.push(e);
    return [...byName.entries()]
      .map(([name, g]) => ({ name, sources: g.sources, apps: g.apps, master: g.sources.find((s) => s.master)?.master }))
      .sort((a, b) => (a.name === 'local' ? -1 : b.name === 'local' ? 1 : a.name.localeCompare(b.name)));
  }

  entry(key: string): AppEntry | undefined {
    return this.entryByKey.get(key);
  }

  detail(key: string): DetailState | undefined {
    const r = this.apps.records.get(key);
    return r && (r.state.fetchedAt !== undefined || r.state.error) ? r.state : undefined;
  }

  source(id: string): SourceState | undefined {
    return this.sourceSet.states.get(id);
  }

  /** Firing alerts about Spark from every Prometheus source. */
  sparkAlerts(): SparkAlert[] {
    return sparkAlerts([...this.sourceSet.states.values()].flatMap((s) => s.alerts ?? []));
  }

  /** Firing Spark alerts of one application (by its id label, else its name). */
  alertsFor(key: string): SparkAlert[] {
    const e = this.entry(key);
    return e ? alertsForApp(this.sparkAlerts(), e.app) : [];
  }

  /** An application's built-in series (recorded while polled, or read back from its saved file). */
  series(key: string): AppSeries | undefined {
    const appId = this.entry(key)?.app.id ?? key.slice(key.indexOf('|') + 1);
    return this.seriesRec.get(key, appId);
  }

  /** Memory held by every built-in series (the budget: 20 MB). */
  seriesBytes(): number {
    return this.seriesRec.bytes();
  }

  // --- what features tell it -----------------------------------------------------------

  /**
   * The servers the extension runs itself (its own History Server), replacing the last list:
   * read like configured sources, shown in the `local` group.
   */
  setOwnSources(list: readonly OwnSource[]): void {
    this.sourceSet.setOwn(list);
  }

  /** Interest in an application's lists (an expanded node, an open lens). Dispose to end it. */
  watch(key: string, opts: WatchOptions = {}): { dispose(): void } {
    return this.apps.watch(key, opts);
  }

  isWatched(key: string): boolean {
    return this.apps.isWatched(key);
  }

  /** Whether the Spark view is visible (our own History Server is in use while it is). */
  isViewVisible(): boolean {
    return this.viewVisible;
  }

  setViewVisible(visible: boolean): void {
    if (this.viewVisible === visible) return;
    this.viewVisible = visible;
    if (visible) for (const k of this.scheduler.keys()) if (!k.startsWith('app:')) this.scheduler.kick(k);
    this.scheduler.reschedule();
  }

  setFocused(focused: boolean): void {
    if (this.focused === focused) return;
    this.focused = focused;
    this.scheduler.setPaused(!focused);
  }

  updateSettings(settings: StoreSettings): void {
    this.settings = settings;
    // Configured sources may have changed: URLs, CAs and credentials are read again.
    this.sourceSet.reset();
    this.sourceSet.sync();
    for (const k of this.scheduler.keys()) this.scheduler.kick(k);
  }

  /** Credentials changed for a source: its client is rebuilt on the next request. */
  forgetClient(sourceId: string): void {
    this.sourceSet.forget(sourceId);
    this.scheduler.kick(`source:${sourceId}`);
  }

  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.scheduler.setPaused(!this.focused);
    this.scheduler.ensure('discovery', { interval: () => this.sourceSet.interval(), run: (s) => this.sourceSet.discover(s) });
    this.sourceSet.sync();
  }

  /**
   * Reads everything now, whatever the timers say (backoff included); resolves when every
   * source and every application someone looks at has been read since the call. Never dropped:
   * a read in flight is followed by another.
   */
  async refresh(): Promise<void> {
    this.sourceSet.clearBackoff();
    await this.pollNow(true);
  }

  /**
   * Runs every task now, in phases; `force` false keeps to backoff and to what the summaries
   * say (a scheduled poll, run at once: for tests and the bench).
   */
  async pollNow(force = false): Promise<void> {
    await this.inPhases((keys) => this.scheduler.refresh(keys, force));
  }

  /**
   * What the scheduler's timers would run by the store's clock, phase by phase as pollNow: the
   * poll bench advances a simulated clock and calls this in their place.
   */
  async pollDue(): Promise<void> {
    await this.inPhases((keys) => this.scheduler.runDue(keys));
  }

  /**
   * Discovery first (it finds sources), then the sources (they decide which applications
   * exist), then the applications: each phase sees what the one before found.
   */
  private async inPhases(run: (keys: string[]) => Promise<void>): Promise<void> {
    if (!this.started) this.start();
    for (const phase of ['discovery', 'source:', 'app:']) {
      await run(this.scheduler.keys().filter((k) => k.startsWith(phase)));
    }
  }

  dispose(): void {
    // Series of applications still running are saved as they are: the window closes.
    this.seriesRec.saveAll();
    this.disposed = true;
    this.scheduler.dispose();
    this.listeners.clear();
  }

  // --- sources -------------------------------------------------------------------------

  /** After a source changed: entries, application tasks, and the keys to announce. */
  private publishSources(): void {
    const changed: string[] = [];
    // A failing source's error time is part of it: its age on screen keeps moving.
    if (this.sigs.changed(ChangeKeys.sources, [...this.sourceSet.states.values()].map((s) => [s.config.id, s.config.url, s.group, s.status, s.kind, s.error?.message, s.error?.at, s.master]))) changed.push(ChangeKeys.sources);
    if (this.sigs.changed(ChangeKeys.alerts, [...this.sourceSet.states.values()].map((s) => s.alerts ?? null))) changed.push(ChangeKeys.alerts);
    const entries = mergeEntries(
      [...this.sourceSet.states.values()].map((s) => ({ id: s.config.id, group: s.group, kind: s.kind, failing: s.status === 'error', apps: s.apps, master: s.master, prometheusApps: s.prometheusApps, listedAt: s.lastOkAt })),
    );
    const servedBefore = new Map([...this.entryByKey].map(([k, e]) => [k, e.sourceId]));
    this.entries = entries;
    this.entryByKey = new Map(entries.map((e) => [e.key, e]));
    if (this.sigs.changed(ChangeKeys.apps, entries.map((e) => e.key))) changed.push(ChangeKeys.apps);
    for (const e of entries) {
      // lastUpdated moves with every event the History Server reads, a live driver's running
      // time with every listing (its clock offset, derived from it, does not): the store's concern only.
      const { lastUpdated: _updated, runningForMs: _running, ...app } = e.app;
      if (this.sigs.changed(ChangeKeys.app(e.key), [app, e.via, e.sourceId, e.stale])) changed.push(ChangeKeys.app(e.key));
    }
    // Records of applications that left every source go, unless someone looks (appTasks.ts).
    this.apps.forgetLeft(servedBefore);
    const gone = (k: string) => {
      const appKey = parseChangeKey(k)?.appKey;
      return appKey !== undefined && !this.entryByKey.has(appKey) && !this.apps.records.has(appKey);
    };
    changed.push(...this.sigs.forget(gone));
    // An application that finished, or left every source (its driver ended, no History Server):
    // its series is complete and saved.
    for (const key of this.seriesRec.endedOf((k) => this.entryByKey.get(k)?.app.state === 'running')) changed.push(ChangeKeys.series(key));
    this.apps.syncAppTasks();
    this.announce(changed);
  }

  private announce(keys: Iterable<string>): void {
    for (const k of keys) this.pending.add(k);
    if (this.pending.size === 0 || this.disposed) return;
    const batch = this.pending;
    this.pending = new Set();
    for (const l of [...this.listeners]) {
      try {
        l(batch);
      } catch (e) {
        this.deps.log.error(`listener failed: ${String(e)}`);
      }
    }
  }
}
