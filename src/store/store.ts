/**
 * The one store and the one scheduler. Sources → store → views: the store polls, keeps the last
 * good data per source and per application, and tells views that something changed. It polls
 * only what someone is looking at (vscode-containers learned that 1 s polling of everything
 * drove a daemon to 50 % CPU): applications lists while the Spark view or the status bar needs
 * them, and the details of an application only while its node is expanded.
 *
 * It imports nothing from `vscode`, so integration tests drive it against a real Spark in Node.
 */
import { HttpClient, HttpError } from '../sources/http';
import { SparkRestClient } from '../sources/sparkRest';
import { SparkMasterClient } from '../sources/sparkMaster';
import { Alert, PrometheusClient } from '../sources/prometheus';
import { alertsForApp, SparkAlert, sparkAlerts } from '../model/alerts';
import { ClientFactory, detectKind, discoverLocal, DiscoverySettings } from '../sources/discovery';
import { sourceGroup } from '../model/ports';
import { needsTaskSummary, SKEW_QUANTILES } from '../model/insights';
import type { Application, ApplicationDetail, MasterStatus, SourceConfig, SourceKind, SparkEnvironment, Stage, TaskSummary } from '../model/types';

export interface StoreSettings {
  readonly configured: readonly (Omit<SourceConfig, 'id' | 'origin'> & { group?: string })[];
  readonly discovery: DiscoverySettings;
  readonly refreshIntervalMs: number;
  readonly statusBarIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly historyMaxApplications: number;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface SourceError {
  readonly kind: string;
  readonly message: string;
  readonly at: number;
}

/** What the store knows of one source. `apps` and `master` are the last good answers. */
export interface SourceState {
  readonly config: SourceConfig;
  readonly group: string;
  readonly kind?: SourceKind;
  readonly status: 'pending' | 'ok' | 'error';
  readonly error?: SourceError;
  readonly lastOkAt?: number;
  readonly apps: readonly Application[];
  readonly master?: MasterStatus;
  /** Applications Prometheus has series for (e.g. drivers in Kubernetes), by application_id label. */
  readonly prometheusApps: readonly { id: string; name: string; executors: number }[];
  /** Prometheus sources: the alerts of the last good answer of /api/v1/alerts (see "alerts" below). */
  readonly alerts?: readonly Alert[];
}

/** An application as the tree shows it: one node per group and application id, whichever source serves it. */
export interface AppEntry {
  /** Stable across sources: `group|appId`. A driver ending hands its node to the History Server. */
  readonly key: string;
  readonly group: string;
  readonly app: Application;
  /** The source that serves details now. */
  readonly sourceId: string;
  readonly via: SourceKind;
  /** The serving source failed its last poll: this is its last good answer. */
  readonly stale: boolean;
}

export interface DetailState {
  readonly detail: ApplicationDetail;
  readonly fetchedAt?: number;
  readonly error?: SourceError;
  /** True when the last poll failed and `detail` is older data. */
  readonly stale: boolean;
}

export interface GroupState {
  readonly name: string;
  readonly sources: readonly SourceState[];
  readonly apps: readonly AppEntry[];
  readonly master?: MasterStatus;
}

export interface StoreDeps {
  readonly makeClient: (source: SourceConfig, timeoutMs: number) => Promise<HttpClient> | HttpClient;
  readonly log: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

const VIA_RANK: Record<SourceKind, number> = { driver: 0, history: 1, master: 2, prometheus: 3 };
/** Any source that answered beats one that failed; among those, the live driver is best. */
const rank = (e: AppEntry) => VIA_RANK[e.via] + (e.stale ? 10 : 0);
const MAX_BACKOFF_MS = 60_000;
/** DESIGN.md budget: one poll of an application makes at most this many requests. */
const MAX_REQUESTS_PER_POLL = 5;

type Listener = () => void;

export class Store {
  private settings: StoreSettings;
  private readonly sources = new Map<string, SourceState>();
  private readonly clients = new Map<string, { url: string; http: HttpClient }>();
  private readonly backoff = new Map<string, { failures: number; nextTryAt: number }>();
  private readonly details = new Map<string, DetailState>();
  private readonly environments = new Map<string, SparkEnvironment>();
  private readonly watchers = new Map<string, number>();
  /** Watchers that show live figures (inline hints): while their application runs, poll at the refresh interval. */
  private readonly liveWatchers = new Map<string, number>();
  /**
   * Task summaries of finished stage attempts, per application key, by `${stageId}:${attemptId}`;
   * null when Spark has none (404: no task reported metrics). Finished stages do not change.
   */
  private readonly summaries = new Map<string, Map<string, TaskSummary | null>>();
  private readonly listeners = new Set<Listener>();
  /** JSON of what was last announced, per part (see emitIfChanged). */
  private readonly signatures = new Map<string, string>();
  private entries: AppEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private polling: Promise<void> | undefined;
  private viewVisible = false;
  private focused = true;
  private started = false;
  private disposed = false;
  private lastSummaryAt = 0;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    settings: StoreSettings,
    private readonly deps: StoreDeps,
  ) {
    this.settings = settings;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  // --- what views read -------------------------------------------------------------

  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  allSources(): SourceState[] {
    return [...this.sources.values()];
  }

  applications(): readonly AppEntry[] {
    return this.entries;
  }

  groups(): GroupState[] {
    const byName = new Map<string, { sources: SourceState[]; apps: AppEntry[] }>();
    for (const s of this.sources.values()) {
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
    return this.entries.find((e) => e.key === key);
  }

  detail(key: string): DetailState | undefined {
    return this.details.get(key);
  }

  source(id: string): SourceState | undefined {
    return this.sources.get(id);
  }

  /** The REST client of the source serving an application, for commands that need more than a poll. */
  async restClientFor(sourceId: string): Promise<SparkRestClient | undefined> {
    const s = this.sources.get(sourceId);
    if (!s || (s.kind !== 'driver' && s.kind !== 'history')) return undefined;
    return new SparkRestClient(await this.client(s.config));
  }

  async prometheusClient(): Promise<PrometheusClient | undefined> {
    const s = [...this.sources.values()].find((x) => x.kind === 'prometheus' && x.status !== 'error');
    return s ? new PrometheusClient(await this.client(s.config)) : undefined;
  }

  // --- alerts (F8) -----------------------------------------------------------------
  // Read with the Prometheus source's own poll (readSource), on the store's one schedule: no
  // timer of their own. Which alerts concern Spark, and whose they are: model/alerts.ts.

  /** Firing alerts about Spark from every Prometheus source. */
  sparkAlerts(): SparkAlert[] {
    return sparkAlerts([...this.sources.values()].flatMap((s) => s.alerts ?? []));
  }

  /** Firing Spark alerts of one application (by its id label, else its name). */
  alertsFor(key: string): SparkAlert[] {
    const e = this.entry(key);
    return e ? alertsForApp(this.sparkAlerts(), e.app) : [];
  }

  // --- what views tell it -----------------------------------------------------------

  /**
   * Interest in an application's details (an expanded node, an open lens). Dispose to end it.
   * `live`: someone shows its figures as they change (inline hints in a visible editor), so
   * while it runs the store polls at the refresh interval even when the Spark view is hidden.
   */
  watch(key: string, opts: { live?: boolean } = {}): { dispose(): void } {
    const inc = (m: Map<string, number>) => m.set(key, (m.get(key) ?? 0) + 1);
    const dec = (m: Map<string, number>) => {
      const n = (m.get(key) ?? 1) - 1;
      if (n <= 0) m.delete(key);
      else m.set(key, n);
    };
    inc(this.watchers);
    if (opts.live) inc(this.liveWatchers);
    if (this.watchers.get(key) === 1 && !this.details.has(key)) this.kick();
    else if (opts.live && this.liveWatchers.get(key) === 1) this.reschedule();
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        dec(this.watchers);
        if (opts.live) dec(this.liveWatchers);
      },
    };
  }

  isWatched(key: string): boolean {
    return this.watchers.has(key);
  }

  setViewVisible(visible: boolean): void {
    if (this.viewVisible === visible) return;
    this.viewVisible = visible;
    // Closing the view cancels its work in flight; opening it refreshes at once.
    if (!visible) this.inFlight?.abort();
    if (visible) this.kick();
    else this.reschedule();
  }

  setFocused(focused: boolean): void {
    if (this.focused === focused) return;
    this.focused = focused;
    if (focused) this.kick(); // catch up on focus
    else this.reschedule();
  }

  updateSettings(settings: StoreSettings): void {
    this.settings = settings;
    // Configured sources may have changed: forget clients so URLs, CAs and credentials are re-read.
    this.clients.clear();
    this.backoff.clear();
    this.kick();
  }

  /** Credentials changed for a source: its client is rebuilt on the next request. */
  forgetClient(sourceId: string): void {
    this.clients.delete(sourceId);
    this.backoff.delete(sourceId);
  }

  start(): void {
    this.started = true;
    this.kick();
  }

  /** Polls now, whatever the timer says; resolves when the poll is done. */
  async refresh(): Promise<void> {
    this.backoff.clear();
    await this.pollOnce(true);
    this.reschedule();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.inFlight?.abort();
    this.listeners.clear();
  }

  // --- scheduling --------------------------------------------------------------------

  private kick(): void {
    if (!this.started || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private reschedule(): void {
    if (!this.started || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.focused) return; // nothing while the window is unfocused
    const live = [...this.liveWatchers.keys()].some((k) => this.entry(k)?.app.state === 'running');
    const delay = this.viewVisible || live ? this.settings.refreshIntervalMs : this.settings.statusBarIntervalMs;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.focused || this.disposed) return;
    await this.pollOnce(false);
    this.reschedule();
  }

  /** One poll; concurrent callers share it. */
  pollOnce(force: boolean): Promise<void> {
    if (!this.polling) {
      this.polling = this.doPoll(force).finally(() => (this.polling = undefined));
    }
    return this.polling;
  }

  // --- polling -------------------------------------------------------------------------

  private async client(source: SourceConfig): Promise<HttpClient> {
    const c = this.clients.get(source.id);
    if (c && c.url === source.url) return c.http;
    const http = await this.deps.makeClient(source, this.settings.requestTimeoutMs);
    this.clients.set(source.id, { url: source.url, http });
    return http;
  }

  private inBackoff(id: string): boolean {
    const b = this.backoff.get(id);
    return !!b && this.now() < b.nextTryAt;
  }

  private noteFailure(id: string): void {
    const failures = (this.backoff.get(id)?.failures ?? 0) + 1;
    // Exponential with full jitter in [0.5, 1.5): sources that fail together don't retry together.
    const base = Math.min(MAX_BACKOFF_MS, this.settings.refreshIntervalMs * 2 ** Math.min(failures - 1, 6));
    this.backoff.set(id, { failures, nextTryAt: this.now() + base * (0.5 + this.random()) });
  }

  private async doPoll(force: boolean): Promise<void> {
    const ctl = new AbortController();
    this.inFlight = ctl;
    const signal = ctl.signal;
    try {
      await this.pollSources(signal, force);
      this.rebuildEntries();
      this.emitIfChanged();
      await this.pollDetails(signal, force);
      this.emitIfChanged();
    } catch (e) {
      if (!(e instanceof HttpError && e.kind === 'cancelled')) this.deps.log.error(`poll failed: ${String(e)}`);
    } finally {
      if (this.inFlight === ctl) this.inFlight = undefined;
    }
  }

  private async pollSources(signal: AbortSignal, force: boolean): Promise<void> {
    const configured: SourceConfig[] = this.settings.configured.map((c) => ({
      id: c.name,
      name: c.name,
      url: c.url,
      kind: c.kind,
      caFile: c.caFile,
      origin: 'settings',
    }));
    const groupsOf = new Map(this.settings.configured.map((c) => [c.name, sourceGroup(c.url, c.group)]));
    const factory: ClientFactory = (s, timeoutMs) => {
      // Discovery probes use throwaway clients with a short timeout; they carry no credentials.
      const cfg: SourceConfig = { id: s.id, name: s.id, url: s.url, origin: 'discovered' };
      return this.deps.makeClient(cfg, timeoutMs);
    };
    const configuredUrls = new Set(configured.map((c) => c.url));
    // Ports already identified are read directly (one request, no probe); only the others are
    // probed. A known port is dropped when it refuses (its driver ended), not when it is merely
    // slow: a busy driver must not vanish from the tree for one slow answer.
    const d = this.settings.discovery;
    const allowed = new Set(d.enabled ? [...d.driverPorts, d.historyServerPort, d.masterPort, d.prometheusPort] : []);
    const known = [...this.sources.values()]
      .filter((s) => s.config.origin === 'discovered' && s.kind && allowed.has(portOf(s.config.url)))
      .filter((s) => !(s.status === 'error' && s.error?.kind === 'refused'))
      .map((s) => ({ ...s.config, kind: s.kind }));
    const fresh = await discoverLocal(d, factory, signal, new Set(known.map((k) => portOf(k.url))), this.settings.requestTimeoutMs);
    const discovered = [...known, ...fresh].filter((x) => !configuredUrls.has(x.url));
    const wanted = [...configured, ...discovered];
    const wantedIds = new Set(wanted.map((s) => s.id));
    for (const id of [...this.sources.keys()]) if (!wantedIds.has(id)) this.sources.delete(id);

    await Promise.all(
      wanted.map(async (cfg) => {
        const prev = this.sources.get(cfg.id);
        const group = groupsOf.get(cfg.id) ?? sourceGroup(cfg.url);
        const base: SourceState = prev && prev.config.url === cfg.url
          ? { ...prev, config: cfg, group }
          : { config: cfg, group, status: 'pending', apps: [], prometheusApps: [] };
        this.sources.set(cfg.id, base);
        if (!force && this.inBackoff(cfg.id)) return;
        try {
          const http = await this.client(cfg);
          const kind = cfg.kind ?? base.kind ?? (await detectKind(http, signal));
          if (!kind) throw new HttpError('malformed', 'not a Spark driver, History Server, standalone Master or Prometheus');
          const next = await this.readSource(kind, http, signal);
          this.sources.set(cfg.id, { ...base, ...next, kind, status: 'ok', error: undefined, lastOkAt: this.now() });
          this.backoff.delete(cfg.id);
        } catch (e) {
          if (signal.aborted) return;
          const err = toSourceError(e, this.now());
          if (base.status !== 'error' || base.error?.message !== err.message) {
            this.deps.log.warn(`${cfg.name} (${cfg.url}): ${err.message}`);
          }
          this.noteFailure(cfg.id);
          // The last good data stays; the state says it is stale and since when.
          this.sources.set(cfg.id, { ...base, status: 'error', error: err });
        }
      }),
    );
  }

  private async readSource(kind: SourceKind, http: HttpClient, signal: AbortSignal): Promise<Partial<SourceState>> {
    switch (kind) {
      case 'driver':
        return { apps: await new SparkRestClient(http).applications({}, signal) };
      case 'history': {
        const rest = new SparkRestClient(http);
        // Running ones (in-progress event logs) and the most recent finished ones.
        const [running, done] = await Promise.all([
          rest.applications({ status: 'running' }, signal),
          rest.applications({ status: 'completed', limit: this.settings.historyMaxApplications }, signal),
        ]);
        return { apps: [...running, ...done] };
      }
      case 'master': {
        const master = await new SparkMasterClient(http).status(signal);
        return { master, apps: [] };
      }
      case 'prometheus': {
        const prom = new PrometheusClient(http);
        // One cheap instant query: every application Prometheus scrapes executor metrics for;
        // and its firing alerts (a Prometheus without rules answers an empty list; a failure
        // here keeps the last good alerts and does not fail the source).
        const [r, alerts] = await Promise.all([
          prom.query('count by (application_id, application_name) (metrics_executor_totalCores)', undefined, signal),
          prom.alerts(signal).catch((e: unknown) => {
            if (signal.aborted) throw e;
            return undefined;
          }),
        ]);
        return {
          ...(alerts ? { alerts } : {}),
          prometheusApps: r.series
            .filter((s) => s.labels.application_id)
            .map((s) => ({ id: s.labels.application_id, name: s.labels.application_name ?? '', executors: s.samples[0]?.v ?? 0 })),
        };
      }
    }
  }

  /** Merges the sources' applications into one entry per group and id; the best source serves it. */
  private rebuildEntries(): void {
    const best = new Map<string, AppEntry>();
    const consider = (e: AppEntry) => {
      const prev = best.get(e.key);
      if (!prev || rank(e) < rank(prev) || (rank(e) === rank(prev) && e.app.state === 'running' && prev.app.state !== 'running')) {
        best.set(e.key, e);
      }
    };
    for (const s of this.sources.values()) {
      if (!s.kind) continue;
      // A driver that stopped answering keeps its last good list, marked stale, until the
      // History Server (or another source) lists the application: then that one serves it.
      const stale = s.status === 'error';
      const base = { group: s.group, sourceId: s.config.id, stale };
      for (const app of s.apps) consider({ ...base, key: `${s.group}|${app.id}`, app, via: s.kind });
      for (const a of s.master?.activeApps ?? []) {
        consider({ ...base, key: `${s.group}|${a.id}`, via: 'master', app: { id: a.id, name: a.name, state: 'running', startTime: a.startTime, cores: a.cores, sparkUser: a.user } });
      }
      for (const p of s.prometheusApps) {
        consider({ ...base, key: `${s.group}|${p.id}`, via: 'prometheus', app: { id: p.id, name: p.name || p.id, state: 'running' } });
      }
    }
    // A driver's own list lacks cores; the Master knows what it granted.
    const masters = [...this.sources.values()].flatMap((s) => (s.master ? [{ group: s.group, master: s.master }] : []));
    this.entries = [...best.values()]
      .map((e) => {
        const granted = masters.find((m) => m.group === e.group)?.master.activeApps.find((a) => a.id === e.app.id)?.cores;
        return e.app.cores === undefined && granted !== undefined ? { ...e, app: { ...e.app, cores: granted } } : e;
      })
      .sort(compareEntries);
    const keys = new Set(this.entries.map((e) => e.key));
    for (const k of [...this.details.keys()]) if (!keys.has(k) && !this.watchers.has(k)) this.details.delete(k);
    for (const k of [...this.summaries.keys()]) if (!this.details.has(k)) this.summaries.delete(k);
  }

  private async pollDetails(signal: AbortSignal, force: boolean): Promise<void> {
    const summaryDue = force || this.now() - this.lastSummaryAt >= this.settings.statusBarIntervalMs;
    const jobs: Promise<void>[] = [];
    for (const e of this.entries) {
      if (e.via !== 'driver' && e.via !== 'history') continue;
      // Its source just failed: the details would too. The last good ones stay, marked stale.
      if (e.stale) {
        const prev = this.details.get(e.key);
        const err = this.sources.get(e.sourceId)?.error;
        if (prev && err) this.details.set(e.key, { ...prev, error: err, stale: true });
        continue;
      }
      const watched = this.watchers.has(e.key);
      // Finished applications do not change: one good read is enough.
      const prev = this.details.get(e.key);
      if (e.app.state === 'completed' && prev && !prev.stale && prev.detail.executors && e.via === 'history' && !force) {
        // …except for task summaries not fetched yet (a few per poll, see fetchTaskSummaries).
        if (watched && this.pendingSummaries(e.key, prev.detail.stages).length > 0) jobs.push(this.topUpSummaries(e, MAX_REQUESTS_PER_POLL, signal));
        continue;
      }
      if (watched) jobs.push(this.fetchDetail(e, 'full', signal));
      else if (summaryDue && e.app.state === 'running') jobs.push(this.fetchDetail(e, 'summary', signal));
    }
    if (summaryDue) this.lastSummaryAt = this.now();
    await Promise.all(jobs);
  }

  /**
   * One poll of an application: at most 5 requests whatever its size (allexecutors, jobs,
   * all stages, storage, and the environment once), then task summaries of finished stages with
   * what is left of the 5. 'summary' (for the status bar) is 2.
   */
  private async fetchDetail(e: AppEntry, depth: 'full' | 'summary', signal: AbortSignal): Promise<void> {
    const source = this.sources.get(e.sourceId);
    if (!source) return;
    const rest = new SparkRestClient(await this.client(source.config));
    const ref = { id: e.app.id, attemptId: e.app.attemptId };
    const envKey = `${e.sourceId}|${e.app.id}`;
    const prev = this.details.get(e.key);
    try {
      const needEnv = depth === 'full' && !this.environments.has(envKey);
      const [executors, cachedDatasets, jobs, stages, environment] = await Promise.all([
        rest.executors(ref, signal),
        rest.cachedDatasets(ref, signal),
        depth === 'full' ? rest.jobs(ref, signal) : Promise.resolve(prev?.detail.jobs),
        // Every retained stage in one list (bounded by spark.ui.retainedStages, details=false).
        depth === 'full' ? rest.stages(ref, undefined, signal) : Promise.resolve(prev?.detail.stages),
        needEnv ? rest.environment(ref, signal) : Promise.resolve(this.environments.get(envKey)),
      ]);
      if (environment) this.environments.set(envKey, environment);
      const activeStages = stages?.filter((s) => s.status === 'ACTIVE');
      const used = depth === 'full' ? 4 + (needEnv ? 1 : 0) : 2;
      const taskSummaries = depth === 'full' ? await this.fetchTaskSummaries(e.key, rest, ref, stages, MAX_REQUESTS_PER_POLL - used, signal) : prev?.detail.taskSummaries;
      this.details.set(e.key, { detail: { executors, cachedDatasets, jobs, stages, activeStages, environment, taskSummaries }, fetchedAt: this.now(), stale: false });
    } catch (err) {
      if (signal.aborted) return;
      const se = toSourceError(err, this.now());
      if (!prev?.error || prev.error.message !== se.message) this.deps.log.warn(`${e.app.id} via ${source.config.name}: ${se.message}`);
      this.details.set(e.key, { detail: prev?.detail ?? {}, fetchedAt: prev?.fetchedAt, error: se, stale: true });
    }
  }

  /** Finished stage attempts whose task summary is worth a request and not asked for yet, newest first. */
  private pendingSummaries(key: string, stages: readonly Stage[] | undefined): Stage[] {
    const known = this.summaries.get(key);
    return (stages ?? []).filter((s) => needsTaskSummary(s) && !known?.has(`${s.stageId}:${s.attemptId}`)).sort((a, b) => b.stageId - a.stageId || b.attemptId - a.attemptId);
  }

  /**
   * Fetches at most `budget` task summaries (finished stages only, each once: they never change)
   * and returns every summary known for the application. A failed request is retried on a later
   * poll; a 404 (no task reported metrics) is remembered as "none".
   */
  private async fetchTaskSummaries(
    key: string,
    rest: SparkRestClient,
    ref: { id: string; attemptId?: string },
    stages: readonly Stage[] | undefined,
    budget: number,
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, TaskSummary>> {
    const known = this.summaries.get(key) ?? new Map<string, TaskSummary | null>();
    this.summaries.set(key, known);
    if (stages) {
      // Stages Spark no longer retains are dropped, so the cache stays bounded like the list.
      const listed = new Set(stages.map((s) => `${s.stageId}:${s.attemptId}`));
      for (const k of [...known.keys()]) if (!listed.has(k)) known.delete(k);
    }
    for (const st of this.pendingSummaries(key, stages).slice(0, Math.max(0, budget))) {
      try {
        known.set(`${st.stageId}:${st.attemptId}`, await rest.taskSummary(ref, st.stageId, st.attemptId, SKEW_QUANTILES, signal));
      } catch (err) {
        if (signal.aborted) throw err;
        if (err instanceof HttpError && err.kind === 'notFound') known.set(`${st.stageId}:${st.attemptId}`, null);
        else this.deps.log.warn(`${ref.id}: task summary of stage ${st.stageId}.${st.attemptId}: ${String(err)}`);
      }
    }
    const out = new Map<string, TaskSummary>();
    for (const [k, v] of known) if (v) out.set(k, v);
    return out;
  }

  /** A finished application read once: only its missing task summaries are fetched. */
  private async topUpSummaries(e: AppEntry, budget: number, signal: AbortSignal): Promise<void> {
    const source = this.sources.get(e.sourceId);
    const prev = this.details.get(e.key);
    if (!source || !prev) return;
    const rest = new SparkRestClient(await this.client(source.config));
    try {
      const taskSummaries = await this.fetchTaskSummaries(e.key, rest, { id: e.app.id, attemptId: e.app.attemptId }, prev.detail.stages, budget, signal);
      const cur = this.details.get(e.key) ?? prev;
      this.details.set(e.key, { ...cur, detail: { ...cur.detail, taskSummaries } });
    } catch (err) {
      if (!signal.aborted) this.deps.log.warn(`${e.app.id}: task summaries: ${String(err)}`);
    }
  }

  /**
   * Tells views only when what they show changed. A tree told every second re-renders every
   * second, and a click that lands mid-render is lost (seen in the UI tests); most polls of a
   * quiet application change nothing. Each part is compared by its JSON against the last one.
   */
  private emitIfChanged(): void {
    let changed = false;
    const seen = new Set<string>();
    const check = (key: string, value: unknown) => {
      seen.add(key);
      const sig = JSON.stringify(value);
      if (this.signatures.get(key) !== sig) {
        this.signatures.set(key, sig);
        changed = true;
      }
    };
    // A failing source's error time is part of it: its age on screen keeps moving.
    for (const x of this.sources.values()) check(`s:${x.config.id}`, [x.status, x.kind, x.error?.message, x.error?.at, x.apps, x.master, x.prometheusApps, x.alerts]);
    check('entries', this.entries);
    for (const [key, d] of this.details) check(`d:${key}`, [d.stale, d.error?.message, d.error?.at, d.detail, d.detail.taskSummaries?.size]);
    for (const key of [...this.signatures.keys()]) {
      if (!seen.has(key)) {
        this.signatures.delete(key);
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  private emit(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (e) {
        this.deps.log.error(`listener failed: ${String(e)}`);
      }
    }
  }
}

function portOf(url: string): number {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

/** Running first, then newest first. */
function compareEntries(a: AppEntry, b: AppEntry): number {
  if (a.app.state !== b.app.state) return a.app.state === 'running' ? -1 : 1;
  return (b.app.startTime ?? 0) - (a.app.startTime ?? 0) || a.app.id.localeCompare(b.app.id);
}

export function toSourceError(e: unknown, at: number): SourceError {
  if (e instanceof HttpError) return { kind: e.kind, message: e.message, at };
  if (e instanceof Error) return { kind: 'error', message: e.message, at };
  return { kind: 'error', message: String(e), at };
}
