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
 *   summary), at the refresh interval while it is shown, else at the status-bar interval.
 *
 * It imports nothing from `vscode`, so integration tests drive it against a real Spark in Node.
 */
import { HttpClient, HttpError } from '../sources/http';
import { Alert } from '../sources/prometheus';
import { detectKind, DiscoverySettings, discoveryPorts, probeLocalPort } from '../sources/discovery';
import { alertsForApp, SparkAlert, sparkAlerts } from '../model/alerts';
import { sourceGroup } from '../model/ports';
import { AppEntry, mergeEntries } from '../model/entries';
import { Part, PARTS } from '../model/summary';
import type { MasterStatus, SourceConfig, SourceKind } from '../model/types';
import { Scheduler } from './scheduler';
import { ChangeKeys, Signatures } from './changes';
import { AppRecord, DetailState, pollApp, SourceError, summariesPending, toSourceError } from './appReads';
import { readSource } from './sourceReads';
import { StoreReads } from './reads';
import { RunRegistry } from './runs';
import { CacheImpactStore } from './cacheImpacts';
import { SeriesRecorder } from './series';
import type { AppSeries } from '../model/series';

export type { AppEntry } from '../model/entries';
export type { DetailState, SourceError } from './appReads';
export { toSourceError } from './appReads';

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

/** What the store knows of one source. `apps` and `master` are the last good answers. */
export interface SourceState {
  readonly config: SourceConfig;
  readonly group: string;
  readonly kind?: SourceKind;
  readonly status: 'pending' | 'ok' | 'error';
  readonly error?: SourceError;
  readonly lastOkAt?: number;
  readonly apps: readonly import('../model/types').Application[];
  readonly master?: MasterStatus;
  /** Applications Prometheus has series for (e.g. drivers in Kubernetes), by application_id label. */
  readonly prometheusApps: readonly { id: string; name: string; executors: number }[];
  /** Prometheus sources: the alerts of the last good answer of /api/v1/alerts. */
  readonly alerts?: readonly Alert[];
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
  /** Folder where built-in series are saved when their application ends; none: kept in memory only. */
  readonly seriesDir?: string;
}

/** A server the extension runs itself (its own History Server): a source like a configured one, in the `local` group. */
export interface OwnSource {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly kind: SourceKind;
}

export interface WatchOptions {
  /** The lists wanted (default: all of them). */
  readonly parts?: readonly Part[];
  /**
   * Someone shows its figures as they change (inline hints, lenses in a visible editor): while
   * it runs the store polls it at the refresh interval even when the Spark view is hidden.
   */
  readonly live?: boolean;
  /**
   * Wanted only while the application is small (the status bar's counts): its driver counts at
   * most LIGHT_MAX_STORAGE_MB of storage memory. A large cluster's lists are read only when
   * someone opens them.
   */
  readonly light?: boolean;
}

/** 64 GiB of storage memory: about a hundred 1 GiB executors. */
export const LIGHT_MAX_STORAGE_MB = 65_536;

export type ChangeListener = (keys: ReadonlySet<string>) => void;

const MAX_BACKOFF_MS = 60_000;

export class Store {
  private settings: StoreSettings;
  private readonly scheduler: Scheduler;
  private readonly sources = new Map<string, SourceState>();
  /** Sources found by discovery, by id; a discovered driver that refuses twice is dropped. */
  private readonly discovered = new Map<string, SourceConfig>();
  private own: readonly OwnSource[] = [];
  private readonly clients = new Map<string, { url: string; http: HttpClient }>();
  private readonly backoff = new Map<string, { failures: number; nextTryAt: number }>();
  private readonly records = new Map<string, AppRecord>();
  private readonly interests = new Map<string, Map<number, { parts: ReadonlySet<Part>; live: boolean; light: boolean }>>();
  private nextInterest = 1;
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
  private readonly random: () => number;
  /** Run File's runs and Measure Cache Impact's results: state the features share. */
  readonly runs = new RunRegistry();
  readonly cacheImpacts = new CacheImpactStore();
  /** Reads for one feature at a time (comparisons, dashboards), through the store's clients. */
  readonly reads: StoreReads;
  /** Built-in series of the applications polled (model/series.ts): charts where Prometheus has none. */
  private readonly seriesRec: SeriesRecorder;

  constructor(settings: StoreSettings, private readonly deps: StoreDeps) {
    this.settings = settings;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.scheduler = new Scheduler({ error: (m) => deps.log.error(`poll failed: ${m}`) });
    this.reads = new StoreReads({
      entry: (k) => this.entry(k),
      source: (id) => this.sources.get(id),
      sources: () => [...this.sources.values()],
      client: (cfg) => this.client(cfg),
      refresh: () => this.refresh(),
      now: this.now,
    });
    this.seriesRec = new SeriesRecorder({ dir: deps.seriesDir, warn: (m) => deps.log.warn(m) });
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
    return this.entryByKey.get(key);
  }

  detail(key: string): DetailState | undefined {
    const r = this.records.get(key);
    return r && (r.state.fetchedAt !== undefined || r.state.error) ? r.state : undefined;
  }

  source(id: string): SourceState | undefined {
    return this.sources.get(id);
  }

  /** Firing alerts about Spark from every Prometheus source. */
  sparkAlerts(): SparkAlert[] {
    return sparkAlerts([...this.sources.values()].flatMap((s) => s.alerts ?? []));
  }

  /** Firing Spark alerts of one application (by its id label, else its name). */
  alertsFor(key: string): SparkAlert[] {
    const e = this.entry(key);
    return e ? alertsForApp(this.sparkAlerts(), e.app) : [];
  }

  /**
   * An application's built-in series: recorded while the store polled its executor list, or
   * read back from the file saved when it ended. Undefined: none was recorded.
   */
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
    this.own = list;
    this.syncSources();
  }

  /** Interest in an application's lists (an expanded node, an open lens). Dispose to end it. */
  watch(key: string, opts: WatchOptions = {}): { dispose(): void } {
    const id = this.nextInterest++;
    const of = this.interests.get(key) ?? new Map();
    this.interests.set(key, of);
    const parts = new Set(opts.parts ?? PARTS);
    const before = this.wantedParts(key);
    of.set(id, { parts, live: !!opts.live, light: !!opts.light });
    this.syncAppTasks();
    // Something new is wanted: read it now rather than at the next tick.
    if ([...parts].some((p) => !before.has(p))) this.scheduler.kick(`app:${key}`);
    else this.scheduler.reschedule();
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        of.delete(id);
        if (of.size === 0) this.interests.delete(key);
        this.syncAppTasks();
        this.scheduler.reschedule();
      },
    };
  }

  isWatched(key: string): boolean {
    return this.interests.has(key);
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
    this.clients.clear();
    this.backoff.clear();
    this.syncSources();
    for (const k of this.scheduler.keys()) this.scheduler.kick(k);
  }

  /** Credentials changed for a source: its client is rebuilt on the next request. */
  forgetClient(sourceId: string): void {
    this.clients.delete(sourceId);
    this.backoff.delete(sourceId);
    this.scheduler.kick(`source:${sourceId}`);
  }

  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.scheduler.setPaused(!this.focused);
    this.scheduler.ensure('discovery', { interval: () => this.sourceInterval(), run: (s) => this.discover(s) });
    this.syncSources();
  }

  /**
   * Reads everything now, whatever the timers say (backoff included); resolves when every
   * source and every application someone looks at has been read since the call. Never dropped:
   * a read in flight is followed by another.
   */
  async refresh(): Promise<void> {
    this.backoff.clear();
    await this.pollNow(true);
  }

  /**
   * Runs every task now, in phases; `force` false keeps to backoff and to what the summaries
   * say (a scheduled poll, run at once: for tests and the bench).
   */
  async pollNow(force = false): Promise<void> {
    if (!this.started) this.start();
    // Discovery first (it finds sources), then the sources (they decide which applications
    // exist), then the applications: each phase sees what the one before found.
    for (const phase of ['discovery', 'source:', 'app:']) {
      await this.scheduler.refresh(this.scheduler.keys().filter((k) => k.startsWith(phase)), force);
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

  private sourceInterval(): number {
    return this.viewVisible ? this.settings.refreshIntervalMs : this.settings.statusBarIntervalMs;
  }

  private configuredSources(): SourceConfig[] {
    return this.settings.configured.map((c) => ({ id: c.name, name: c.name, url: c.url, kind: c.kind, caFile: c.caFile, origin: 'settings' }));
  }

  private ownSources(): SourceConfig[] {
    // Own ids are prefixed so a configured source of the same name cannot take their place.
    return this.own.map((o) => ({ id: `own:${o.id}`, name: o.name, url: o.url, kind: o.kind, origin: 'own' }));
  }

  /** Makes the sources and their tasks match the settings and what discovery found. */
  private syncSources(): void {
    if (!this.started) return;
    const configured = [...this.configuredSources(), ...this.ownSources()];
    const urls = new Set(configured.map((c) => c.url));
    const allowed = new Set(discoveryPorts(this.settings.discovery));
    for (const [id, d] of this.discovered) if (!allowed.has(portOf(d.url)) || urls.has(d.url)) this.discovered.delete(id);
    const wanted = [...configured, ...this.discovered.values()];
    const groups = new Map(this.settings.configured.map((c) => [c.name, sourceGroup(c.url, c.group)]));
    for (const o of this.ownSources()) groups.set(o.id, 'local');
    const ids = new Set(wanted.map((s) => s.id));
    let changed = false;
    for (const id of [...this.sources.keys()]) {
      if (ids.has(id)) continue;
      this.sources.delete(id);
      this.scheduler.remove(`source:${id}`);
      changed = true;
    }
    for (const cfg of wanted) {
      const prev = this.sources.get(cfg.id);
      const group = groups.get(cfg.id) ?? sourceGroup(cfg.url);
      if (!prev || prev.config.url !== cfg.url || prev.group !== group || prev.config.kind !== cfg.kind || prev.config.caFile !== cfg.caFile) {
        this.sources.set(cfg.id, prev && prev.config.url === cfg.url ? { ...prev, config: cfg, group } : { config: cfg, group, status: 'pending', apps: [], prometheusApps: [] });
        changed = true;
      }
      this.scheduler.ensure(`source:${cfg.id}`, {
        interval: () => {
          const b = this.backoff.get(cfg.id);
          return Math.max(this.sourceInterval(), b ? b.nextTryAt - this.now() : 0);
        },
        run: (signal, force) => this.readOne(cfg.id, signal, force),
      });
    }
    if (changed) this.publishSources();
  }

  /** Probes the loopback ports no source answers on yet; each find is published as it comes. */
  private async discover(signal: AbortSignal): Promise<void> {
    const known = new Set([...this.sources.values()].map((s) => portOf(s.config.url)));
    const ports = discoveryPorts(this.settings.discovery).filter((p) => !known.has(p));
    const factory = (s: { url: string; id: string }, timeoutMs: number) =>
      // Discovery probes carry no credentials.
      this.deps.makeClient({ id: s.id, name: s.id, url: s.url, origin: 'discovered' }, timeoutMs);
    await Promise.all(
      ports.map(async (port) => {
        const found = await probeLocalPort(port, factory, signal, this.settings.requestTimeoutMs);
        if (!found || signal.aborted || this.disposed) return;
        if ([...this.configuredSources(), ...this.ownSources()].some((c) => c.url === found.url)) return;
        this.discovered.set(found.id, found);
        this.syncSources();
      }),
    );
  }

  private async client(source: SourceConfig): Promise<HttpClient> {
    const c = this.clients.get(source.id);
    if (c && c.url === source.url) return c.http;
    const http = await this.deps.makeClient(source, this.settings.requestTimeoutMs);
    this.clients.set(source.id, { url: source.url, http });
    return http;
  }

  private noteFailure(id: string): number {
    const failures = (this.backoff.get(id)?.failures ?? 0) + 1;
    // Exponential with full jitter in [0.5, 1.5): sources that fail together don't retry together.
    const base = Math.min(MAX_BACKOFF_MS, this.settings.refreshIntervalMs * 2 ** Math.min(failures - 1, 6));
    this.backoff.set(id, { failures, nextTryAt: this.now() + base * (0.5 + this.random()) });
    return failures;
  }

  private async readOne(id: string, signal: AbortSignal, force: boolean): Promise<void> {
    const base = this.sources.get(id);
    if (!base) return;
    const b = this.backoff.get(id);
    if (!force && b && this.now() < b.nextTryAt) return;
    const cfg = base.config;
    try {
      const http = await this.client(cfg);
      const kind = cfg.kind ?? base.kind ?? (await detectKind(http, signal));
      if (!kind) throw new HttpError('malformed', 'not a Spark driver, History Server, standalone Master or Prometheus');
      const r = await readSource(kind, http, this.settings.historyMaxApplications, signal);
      if (signal.aborted || this.sources.get(id) !== base) return;
      this.sources.set(id, { ...base, apps: r.apps, master: r.master, prometheusApps: r.prometheusApps, alerts: r.alerts ?? base.alerts, kind, status: 'ok', error: undefined, lastOkAt: this.now() });
      this.backoff.delete(id);
    } catch (e) {
      if (signal.aborted || this.sources.get(id) !== base) return;
      const err = toSourceError(e, this.now());
      const failures = this.noteFailure(id);
      // A discovered driver that refuses has ended: after a second refusal its port is dropped
      // (the History Server, if any, serves its application from then on).
      if (cfg.origin === 'discovered' && err.kind === 'refused' && failures >= 2) {
        this.discovered.delete(id);
        this.syncSources();
        this.publishSources();
        return;
      }
      if (base.status !== 'error' || base.error?.message !== err.message) this.deps.log.warn(`${cfg.name} (${cfg.url}): ${err.message}`);
      // The last good data stays; the state says it is stale and since when.
      this.sources.set(id, { ...base, status: 'error', error: err });
    }
    this.publishSources();
  }

  /** After a source changed: entries, application tasks, and the keys to announce. */
  private publishSources(): void {
    const changed: string[] = [];
    // A failing source's error time is part of it: its age on screen keeps moving.
    if (this.sigs.changed(ChangeKeys.sources, [...this.sources.values()].map((s) => [s.config.id, s.config.url, s.group, s.status, s.kind, s.error?.message, s.error?.at, s.master]))) changed.push(ChangeKeys.sources);
    if (this.sigs.changed(ChangeKeys.alerts, [...this.sources.values()].map((s) => s.alerts ?? null))) changed.push(ChangeKeys.alerts);
    const entries = mergeEntries(
      [...this.sources.values()].map((s) => ({ id: s.config.id, group: s.group, kind: s.kind, failing: s.status === 'error', apps: s.apps, master: s.master, prometheusApps: s.prometheusApps })),
    );
    this.entries = entries;
    this.entryByKey = new Map(entries.map((e) => [e.key, e]));
    if (this.sigs.changed(ChangeKeys.apps, entries.map((e) => e.key))) changed.push(ChangeKeys.apps);
    for (const e of entries) {
      // lastUpdated moves with every event the History Server reads: the store's concern only.
      const { lastUpdated: _ignored, ...app } = e.app;
      if (this.sigs.changed(ChangeKeys.app(e.key), [app, e.via, e.sourceId, e.stale])) changed.push(ChangeKeys.app(e.key));
    }
    // Applications that left every source: their records go, unless someone still looks.
    for (const key of [...this.records.keys()]) {
      if (!this.entryByKey.has(key) && !this.interests.has(key)) this.records.delete(key);
    }
    changed.push(...this.sigs.forget((k) => k.startsWith('app:') && !this.entryByKey.has(appKeyOf(k)) && !this.records.has(appKeyOf(k))));
    // An application that finished, or left every source (its driver ended, no History Server):
    // its series is complete and saved.
    for (const key of this.seriesRec.liveKeys()) {
      if (this.entryByKey.get(key)?.app.state === 'running') continue;
      this.seriesRec.end(key);
      changed.push(ChangeKeys.series(key));
    }
    this.syncAppTasks();
    this.announce(changed);
  }

  // --- applications --------------------------------------------------------------------

  private wantedParts(key: string): Set<Part> {
    const out = new Set<Part>();
    const max = this.records.get(key)?.state.summary?.storageMemoryMaxMb;
    const small = max !== undefined && max <= LIGHT_MAX_STORAGE_MB;
    for (const i of this.interests.get(key)?.values() ?? []) if (!i.light || small) for (const p of i.parts) out.add(p);
    return out;
  }

  /** An application task for each application someone looks at, and each live one (the status bar's summary). */
  private syncAppTasks(): void {
    if (!this.started) return;
    const want = new Set<string>();
    for (const key of this.interests.keys()) if (this.entryByKey.has(key)) want.add(key);
    for (const e of this.entries) if (e.via === 'driver' && e.app.state === 'running') want.add(e.key);
    for (const k of this.scheduler.keys()) {
      if (k.startsWith('app:') && !want.has(k.slice(4))) this.scheduler.remove(k);
    }
    for (const key of want) {
      this.scheduler.ensure(`app:${key}`, { interval: () => this.appInterval(key), run: (signal, force) => this.pollOne(key, signal, force) });
    }
  }

  private appInterval(key: string): number | undefined {
    const e = this.entryByKey.get(key);
    const rec = this.records.get(key);
    const of = this.interests.get(key);
    if (e?.app.state === 'completed' && e.via === 'history' && rec?.state.fetchedAt && !rec.state.stale) {
      // A finished application does not change: read once, then only its missing task summaries.
      const missing = [...this.wantedParts(key)].some((p) => rec.memory.readAt[p] === undefined);
      return missing || summariesPending(rec) ? this.settings.refreshIntervalMs : undefined;
    }
    const live = [...(of?.values() ?? [])].some((i) => i.live) && e?.app.state === 'running';
    const shown = [...(of?.values() ?? [])].some((i) => !i.light);
    return of && (live || (shown && this.viewVisible)) ? this.settings.refreshIntervalMs : this.settings.statusBarIntervalMs;
  }

  private async pollOne(key: string, signal: AbortSignal, force: boolean): Promise<void> {
    const entry = this.entryByKey.get(key);
    if (!entry || (entry.via !== 'driver' && entry.via !== 'history')) return;
    const rec = this.records.get(key) ?? new AppRecord();
    this.records.set(key, rec);
    const source = this.sources.get(entry.sourceId);
    if (!source) return;
    if (entry.stale) {
      // Its source just failed: the details would too. The last good ones stay, marked stale.
      if (source.error && rec.state.fetchedAt !== undefined && rec.state.error?.at !== source.error.at) {
        rec.state = { ...rec.state, error: source.error, stale: true };
        this.announce([ChangeKeys.app(key)]);
      }
      return;
    }
    const wanted = this.wantedParts(key);
    const changed = await pollApp(rec, {
      entry,
      http: await this.client(source.config),
      wanted,
      force,
      now: this.now,
      maxAgeMs: this.settings.statusBarIntervalMs,
      signal,
      warn: (m) => this.deps.log.warn(`${m} (via ${source.config.name})`),
    });
    if (signal.aborted) return;
    const keys = [...changed].map((p) => (p === 'state' ? ChangeKeys.app(key) : ChangeKeys.part(key, p)));
    if (this.sample(key, entry, rec, wanted)) keys.push(ChangeKeys.series(key));
    this.announce(keys);
    // The summary showed a small application: its light watchers' lists are wanted now.
    if (this.wantedParts(key).size > wanted.size) this.scheduler.kick(`app:${key}`);
  }

  /**
   * One point of a running application's built-in series after a good poll, from the lists as
   * they are now: only when its executor list is wanted and was read within the status-bar
   * interval (an unchanged list was not read again because the summary said nothing changed).
   */
  private sample(key: string, entry: AppEntry, rec: AppRecord, wanted: ReadonlySet<Part>): boolean {
    const st = rec.state;
    if (entry.app.state !== 'running' || st.stale || st.error || !wanted.has('executors')) return false;
    const readAt = rec.memory.readAt.executors;
    if (readAt === undefined || this.now() - readAt > this.settings.statusBarIntervalMs) return false;
    return this.seriesRec.record(key, entry.app.id, this.now(), st.detail);
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

function appKeyOf(changeKey: string): string {
  const rest = changeKey.slice(4);
  const bar = rest.indexOf('|');
  const colon = rest.lastIndexOf(':');
  return colon > bar ? rest.slice(0, colon) : rest;
}

function portOf(url: string): number {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}
