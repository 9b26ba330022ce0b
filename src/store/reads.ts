/**
 * Reads a feature needs once, not on a schedule (a comparison's two runs, an application's
 * environment), made by the store through its own clients: the same timeouts, size caps,
 * credentials and choice of source as every poll. Features never hold a client.
 */
import type { HttpClient } from '../sources/http';
import { PrometheusClient } from '../sources/prometheus';
import { SparkRestClient } from '../sources/sparkRest';
import type { AppEntry } from '../model/entries';
import type { Application, CachedDataset, Executor, Job, SourceConfig, SparkEnvironment, Stage } from '../model/types';
import type { OverlayData } from '../shared/compareProtocol';
import { builtinOverlays, loadOverlays } from './overlays';
import type { AppSeries } from '../model/series';

/** What the reads need of the store. */
export interface ReadsHost {
  entry(key: string): AppEntry | undefined;
  source(id: string): { readonly config: SourceConfig; readonly kind?: string; readonly status: string; readonly group: string } | undefined;
  sources(): readonly { readonly config: SourceConfig; readonly kind?: string; readonly status: string; readonly group: string }[];
  client(config: SourceConfig): Promise<HttpClient>;
  refresh(): Promise<void>;
  /** An application's built-in series (the store's), when it has one. */
  series(key: string): AppSeries | undefined;
  readonly now: () => number;
}

/** Everything one run contributes to a comparison, as read from the source serving it. */
export interface RunData {
  readonly key: string;
  readonly app: Application;
  readonly servedBy: 'History Server' | 'live driver';
  readonly executors: readonly Executor[];
  readonly stages: readonly Stage[];
  readonly datasets: readonly CachedDataset[];
  /** For job time (first job submitted → last job completed). */
  readonly jobs: readonly Job[];
}

export class ReadUnavailable extends Error {}

export class StoreReads {
  constructor(private readonly host: ReadsHost) {}

  private async rest(e: AppEntry): Promise<SparkRestClient> {
    const s = this.host.source(e.sourceId);
    const kind = s?.kind ?? s?.config.kind;
    if (!s || (kind !== 'driver' && kind !== 'history')) throw new ReadUnavailable(`the source serving ${e.app.id} is gone`);
    return new SparkRestClient(await this.host.client(s.config));
  }

  /**
   * One application's figures for a comparison, from the source serving it now: every executor
   * (dead ones ran tasks too), every stage (all statuses, details=false), the cached datasets,
   * the jobs (their times).
   * A running application's wall time is its time so far, so a live run compares with a finished one.
   */
  async run(key: string, signal?: AbortSignal): Promise<RunData> {
    const e = this.host.entry(key);
    if (!e) throw new ReadUnavailable(`application ${key.split('|').pop()} is not listed by any source now`);
    if (e.via !== 'driver' && e.via !== 'history') {
      throw new ReadUnavailable(`${e.app.name || e.app.id} is known from ${e.via === 'master' ? 'the Master' : 'Prometheus'} only: no Spark REST API to read its figures from`);
    }
    const rest = await this.rest(e);
    const ref = { id: e.app.id, attemptId: e.app.attemptId };
    const [executors, stages, datasets, jobs] = await Promise.all([
      rest.executors(ref, signal), rest.stages(ref, undefined, signal), rest.cachedDatasets(ref, signal), rest.jobs(ref, signal),
    ]);
    const now = this.host.now();
    const app = e.app.state === 'running' && e.app.startTime !== undefined && e.app.durationMs === undefined ? { ...e.app, durationMs: Math.max(0, now - e.app.startTime) } : e.app;
    return { key, app, servedBy: e.via === 'history' ? 'History Server' : 'live driver', executors, stages, datasets, jobs };
  }

  /** An application's environment (Spark properties), read now. */
  async environment(key: string, signal?: AbortSignal): Promise<SparkEnvironment | undefined> {
    const e = this.host.entry(key);
    if (!e || (e.via !== 'driver' && e.via !== 'history')) return undefined;
    return (await this.rest(e)).environment({ id: e.app.id, attemptId: e.app.attemptId }, signal);
  }

  /**
   * Both runs' memory and GC series on one elapsed-time axis, from the Prometheus of A's group
   * where it has them, else from the store's built-in series; a note says why there is none.
   */
  async overlays(a: RunData, b: RunData, o: { widthPx?: number; scrapeIntervalSeconds?: number; signal?: AbortSignal }): Promise<{ overlays: OverlayData[]; note?: string }> {
    let fromProm: { overlays: OverlayData[]; note?: string };
    try {
      fromProm = await loadOverlays(await this.prometheusFor(a.key), a, b, { ...o, now: this.host.now() });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      fromProm = { overlays: [], note: `Prometheus: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (fromProm.overlays.length > 0) return fromProm;
    const built = builtinOverlays(a, b, this.host.series(a.key), this.host.series(b.key));
    return built.overlays.length > 0 ? built : { overlays: [], note: [fromProm.note, built.note].filter(Boolean).join(' ') };
  }

  /** The Prometheus of an application (see prometheusSource); undefined when there is none for it. */
  async prometheusFor(key: string): Promise<PrometheusClient | undefined> {
    const s = this.prometheusSource(key);
    return s ? new PrometheusClient(await this.host.client(s.config)) : undefined;
  }

  /** The base URL of that Prometheus (links to its graph page), without reading anything. */
  prometheusUrlFor(key: string): string | undefined {
    return this.prometheusSource(key)?.config.url;
  }

  /**
   * The Prometheus source of an application: its group's (the one that answered last first);
   * else the only Prometheus there is, when there is exactly one (no other cluster's to mix up).
   */
  private prometheusSource(key: string) {
    const e = this.host.entry(key);
    const group = e?.group ?? key.split('|')[0];
    const all = this.host.sources().filter((s) => (s.kind ?? s.config.kind) === 'prometheus');
    const mine = all.filter((s) => s.group === group);
    const pick = (list: typeof all) => list.find((x) => x.status !== 'error') ?? list[0];
    return mine.length > 0 ? pick(mine) : all.length === 1 ? all[0] : undefined;
  }
}
