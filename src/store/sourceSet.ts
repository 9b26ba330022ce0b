/**
 * The sources the store reads: the configured ones and those discovery found on loopback, one
 * scheduler task each, publishing when it answers (one hanging source delays no other); their
 * clients (credentials, CA, timeouts) and their backoff after failures.
 */
import { HttpClient, HttpError } from '../sources/http';
import { detectKind, discoveryPorts, probeLocalPort } from '../sources/discovery';
import { sourceGroup } from '../model/ports';
import { FailureLog } from '../model/failureLog';
import type { SourceConfig } from '../model/types';
import type { Scheduler } from './scheduler';
import { toSourceError } from './appReads';
import { readSource } from './sourceReads';
import type { OwnSource, SourceState, StoreDeps, StoreSettings } from './types';

const MAX_BACKOFF_MS = 60_000;

/** What the source set needs of the store. */
export interface SourceSetHost extends Pick<StoreDeps, 'makeClient' | 'log'> {
  readonly scheduler: Scheduler;
  settings(): StoreSettings;
  now(): number;
  random(): number;
  viewVisible(): boolean;
  started(): boolean;
  disposed(): boolean;
  /** A source's state changed: rebuild entries and announce. */
  publish(): void;
}

export class SourceSet {
  readonly states = new Map<string, SourceState>();
  /** Sources found by discovery, by id; a discovered driver that refuses twice is dropped. */
  private readonly discovered = new Map<string, SourceConfig>();
  /** Servers the extension runs itself (its own History Server). */
  private own: readonly OwnSource[] = [];
  private readonly clients = new Map<string, { url: string; http: HttpClient }>();
  private readonly backoff = new Map<string, { failures: number; nextTryAt: number }>();
  /** What was logged of each source's failures: a line per new message, not per poll or per flap. */
  private readonly logged = new FailureLog();

  constructor(private readonly host: SourceSetHost) {}

  /** Settings changed: URLs, CAs and credentials are read again, backoff forgotten. */
  reset(): void {
    this.clients.clear();
    this.backoff.clear();
    this.logged.clear();
  }

  /** Credentials of one source changed: its client is rebuilt on the next request. */
  forget(id: string): void {
    this.clients.delete(id);
    this.backoff.delete(id);
  }

  clearBackoff(): void {
    this.backoff.clear();
  }

  interval(): number {
    return this.host.viewVisible() ? this.host.settings().refreshIntervalMs : this.host.settings().statusBarIntervalMs;
  }

  private configuredSources(): SourceConfig[] {
    return this.host.settings().configured.map((c) => ({ id: c.name, name: c.name, url: c.url, kind: c.kind, caFile: c.caFile, origin: 'settings', ...(c.connect ? { connect: c.connect } : {}) }));
  }

  private ownSources(): SourceConfig[] {
    // Own ids are prefixed so a configured source of the same name cannot take their place.
    return this.own.map((o) => ({ id: `own:${o.id}`, name: o.name, url: o.url, kind: o.kind, origin: 'own' }));
  }

  /** The servers the extension runs itself, replacing the last list. */
  setOwn(list: readonly OwnSource[]): void {
    this.own = list;
    this.sync();
  }

  /** Makes the sources and their tasks match the settings, our own servers and what discovery found. */
  sync(): void {
    if (!this.host.started()) return;
    const configured = [...this.configuredSources(), ...this.ownSources()];
    const urls = new Set(configured.map((c) => c.url));
    const allowed = new Set(discoveryPorts(this.host.settings().discovery));
    for (const [id, d] of this.discovered) if (!allowed.has(portOf(d.url)) || urls.has(d.url)) this.discovered.delete(id);
    const wanted = [...configured, ...this.discovered.values()];
    const groups = new Map(this.host.settings().configured.map((c) => [c.name, sourceGroup(c.url, c.group)]));
    for (const o of this.ownSources()) groups.set(o.id, 'local');
    const ids = new Set(wanted.map((s) => s.id));
    let changed = false;
    for (const id of [...this.states.keys()]) {
      if (ids.has(id)) continue;
      this.states.delete(id);
      this.logged.forget(id);
      this.host.scheduler.remove(`source:${id}`);
      changed = true;
    }
    for (const cfg of wanted) {
      const prev = this.states.get(cfg.id);
      const group = groups.get(cfg.id) ?? sourceGroup(cfg.url);
      if (!prev || prev.config.url !== cfg.url || prev.group !== group || prev.config.kind !== cfg.kind || prev.config.caFile !== cfg.caFile) {
        this.states.set(cfg.id, prev && prev.config.url === cfg.url ? { ...prev, config: cfg, group } : { config: cfg, group, status: 'pending', apps: [], prometheusApps: [] });
        changed = true;
      }
      this.host.scheduler.ensure(`source:${cfg.id}`, {
        interval: () => {
          const b = this.backoff.get(cfg.id);
          const s = this.states.get(cfg.id);
          // A live driver lists one application for as long as it lives: once listed, its list is
          // read at the status bar's pace (the application's own poll notices the driver ending).
          const listed = s?.kind === 'driver' && s.status === 'ok' && s.apps.length > 0;
          const every = listed ? Math.max(this.interval(), this.host.settings().statusBarIntervalMs) : this.interval();
          return Math.max(every, b ? b.nextTryAt - this.host.now() : 0);
        },
        run: (signal, force) => this.readOne(cfg.id, signal, force),
      });
    }
    if (changed) this.host.publish();
  }

  /** Probes the loopback ports no source answers on yet; each find is published as it comes. */
  async discover(signal: AbortSignal): Promise<void> {
    const known = new Set([...this.states.values()].map((s) => portOf(s.config.url)));
    const ports = discoveryPorts(this.host.settings().discovery).filter((p) => !known.has(p));
    const factory = (s: { url: string; id: string }, timeoutMs: number) =>
      // Discovery probes carry no credentials.
      this.host.makeClient({ id: s.id, name: s.id, url: s.url, origin: 'discovered' }, timeoutMs);
    await Promise.all(
      ports.map(async (port) => {
        const found = await probeLocalPort(port, factory, signal, this.host.settings().requestTimeoutMs);
        if (!found || signal.aborted || this.host.disposed()) return;
        if ([...this.configuredSources(), ...this.ownSources()].some((c) => c.url === found.url)) return;
        this.discovered.set(found.id, found);
        this.sync();
      }),
    );
  }

  async client(source: SourceConfig): Promise<HttpClient> {
    const c = this.clients.get(source.id);
    if (c && c.url === source.url) return c.http;
    const http = await this.host.makeClient(source, this.host.settings().requestTimeoutMs);
    this.clients.set(source.id, { url: source.url, http });
    return http;
  }

  private noteFailure(id: string): number {
    const failures = (this.backoff.get(id)?.failures ?? 0) + 1;
    // Exponential with full jitter in [0.5, 1.5): sources that fail together don't retry together.
    const base = Math.min(MAX_BACKOFF_MS, this.host.settings().refreshIntervalMs * 2 ** Math.min(failures - 1, 6));
    this.backoff.set(id, { failures, nextTryAt: this.host.now() + base * (0.5 + this.host.random()) });
    return failures;
  }

  private async readOne(id: string, signal: AbortSignal, force: boolean): Promise<void> {
    const base = this.states.get(id);
    if (!base) return;
    const b = this.backoff.get(id);
    if (!force && b && this.host.now() < b.nextTryAt) return;
    const cfg = base.config;
    try {
      const http = await this.client(cfg);
      const kind = cfg.kind ?? base.kind ?? (await detectKind(http, signal));
      if (!kind) throw new HttpError('malformed', 'not a Spark driver, History Server, standalone Master or Prometheus');
      const r = await readSource(kind, http, this.host.settings().historyMaxApplications, signal);
      if (signal.aborted || this.states.get(id) !== base) return;
      this.states.set(id, { ...base, apps: r.apps, master: r.master, prometheusApps: r.prometheusApps, alerts: r.alerts ?? base.alerts, kind, status: 'ok', error: undefined, lastOkAt: this.host.now() });
      this.backoff.delete(id);
      this.logged.ok(id, this.host.now());
    } catch (e) {
      if (signal.aborted || this.states.get(id) !== base) return;
      const err = toSourceError(e, this.host.now());
      const failures = this.noteFailure(id);
      // A discovered driver that refuses has ended: after a second refusal its port is dropped
      // (the History Server, if any, serves its application from then on).
      if (cfg.origin === 'discovered' && err.kind === 'refused' && failures >= 2) {
        this.discovered.delete(id);
        this.sync();
        this.host.publish();
        return;
      }
      if (this.logged.failed(id, err.message, err.at)) this.host.log.warn(`${cfg.name} (${cfg.url}): ${err.message}`);
      // The last good data stays; the state says it is stale and since when.
      this.states.set(id, { ...base, status: 'error', error: err });
    }
    this.host.publish();
  }
}

function portOf(url: string): number {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}
