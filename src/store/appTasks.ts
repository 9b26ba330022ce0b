/**
 * The store's applications (store.ts): who looks at which application and at which of its lists,
 * an `app:<key>` task for each application someone looks at and each live one (the status bar's
 * summary), how often each is polled, and what each poll read (its record).
 */
import type { AppEntry } from '../model/entries';
import { FailureLog } from '../model/failureLog';
import { Part, PARTS } from '../model/summary';
import { AppRecord, pollApp, summariesPending } from './appReads';
import { ChangeKeys } from './changes';
import type { Scheduler } from './scheduler';
import type { SeriesRecorder } from './series';
import type { SourceSet } from './sourceSet';
import type { StoreDeps, StoreSettings, WatchOptions } from './types';
import { LIGHT_MAX_STORAGE_MB } from './types';

/** What the application tasks need of the store. */
export interface AppTasksHost extends Pick<StoreDeps, 'log'> {
  readonly scheduler: Scheduler;
  readonly sourceSet: SourceSet;
  readonly seriesRec: SeriesRecorder;
  settings(): StoreSettings;
  now(): number;
  viewVisible(): boolean;
  started(): boolean;
  entries(): readonly AppEntry[];
  entry(key: string): AppEntry | undefined;
  /** Keys that changed, for the features. */
  announce(keys: Iterable<string>): void;
}

export class AppTasks {
  /** What the store keeps of each application between polls, by key. */
  readonly records = new Map<string, AppRecord>();
  /** What was logged of each application's failures (appReads.ts). */
  private readonly appFailures = new FailureLog();
  private readonly interests = new Map<string, Map<number, { parts: ReadonlySet<Part>; live: boolean; light: boolean }>>();
  private nextInterest = 1;

  constructor(private readonly host: AppTasksHost) {}

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
    if ([...parts].some((p) => !before.has(p))) this.host.scheduler.kick(`app:${key}`);
    else this.host.scheduler.reschedule();
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        of.delete(id);
        if (of.size === 0) this.interests.delete(key);
        this.syncAppTasks();
        this.host.scheduler.reschedule();
      },
    };
  }

  isWatched(key: string): boolean {
    return this.interests.has(key);
  }

  /**
   * After the sources changed: records of applications that left every source go, unless
   * someone looks; so do unwatched ones whose serving source changed (a dead driver's stale
   * state is not the History Server's). `servedBefore`: each entry's source before the change.
   */
  forgetLeft(servedBefore: ReadonlyMap<string, string>): void {
    for (const key of [...this.records.keys()]) {
      if (this.interests.has(key)) continue;
      const now = this.host.entry(key);
      if (!now || now.sourceId !== servedBefore.get(key)) {
        this.records.delete(key);
        this.appFailures.forget(key);
      }
    }
  }

  private wantedParts(key: string): Set<Part> {
    const out = new Set<Part>();
    const max = this.records.get(key)?.state.summary?.storageMemoryMaxMb;
    const small = max !== undefined && max <= LIGHT_MAX_STORAGE_MB;
    for (const i of this.interests.get(key)?.values() ?? []) if (!i.light || small) for (const p of i.parts) out.add(p);
    return out;
  }

  /** An application task for each application someone looks at, and each live one (the status bar's summary). */
  syncAppTasks(): void {
    if (!this.host.started()) return;
    const want = new Set<string>();
    for (const key of this.interests.keys()) if (this.host.entry(key) !== undefined) want.add(key);
    for (const e of this.host.entries()) if (e.via === 'driver' && e.app.state === 'running') want.add(e.key);
    for (const k of this.host.scheduler.keys()) {
      if (k.startsWith('app:') && !want.has(k.slice(4))) this.host.scheduler.remove(k);
    }
    for (const key of want) {
      this.host.scheduler.ensure(`app:${key}`, { interval: () => this.appInterval(key), run: (signal, force) => this.pollOne(key, signal, force) });
    }
  }

  private appInterval(key: string): number | undefined {
    const e = this.host.entry(key);
    const rec = this.records.get(key);
    const of = this.interests.get(key);
    if (e?.app.state === 'completed' && e.via === 'history' && rec?.state.fetchedAt && !rec.state.stale) {
      // A finished application does not change: read once, then only its missing task summaries.
      const missing = [...this.wantedParts(key)].some((p) => rec.memory.readAt[p] === undefined);
      return missing || summariesPending(rec) ? this.host.settings().refreshIntervalMs : undefined;
    }
    const live = [...(of?.values() ?? [])].some((i) => i.live) && e?.app.state === 'running';
    const shown = [...(of?.values() ?? [])].some((i) => !i.light);
    return of && (live || (shown && this.host.viewVisible())) ? this.host.settings().refreshIntervalMs : this.host.settings().statusBarIntervalMs;
  }

  private async pollOne(key: string, signal: AbortSignal, force: boolean): Promise<void> {
    const entry = this.host.entry(key);
    if (!entry || (entry.via !== 'driver' && entry.via !== 'history')) return;
    const rec = this.records.get(key) ?? new AppRecord();
    this.records.set(key, rec);
    const source = this.host.sourceSet.states.get(entry.sourceId);
    if (!source) return;
    if (entry.stale) {
      // Its source just failed: the details would too. The last good ones stay, marked stale.
      if (source.error && rec.state.fetchedAt !== undefined && rec.state.error?.at !== source.error.at) {
        rec.state = { ...rec.state, error: source.error, stale: true };
        this.host.announce([ChangeKeys.app(key)]);
      }
      return;
    }
    const wanted = this.wantedParts(key);
    const changed = await pollApp(rec, {
      entry,
      http: await this.host.sourceSet.client(source.config),
      wanted,
      force,
      now: this.host.now,
      maxAgeMs: this.host.settings().statusBarIntervalMs,
      signal,
      warn: (m) => this.host.log.warn(`${m} (via ${source.config.name})`),
      logged: this.appFailures,
    });
    if (signal.aborted) return;
    const keys = [...changed].map((p) => (p === 'state' ? ChangeKeys.app(key) : ChangeKeys.part(key, p)));
    if (this.host.seriesRec.afterPoll(key, entry, rec, wanted, this.host.now(), this.host.settings().statusBarIntervalMs)) keys.push(ChangeKeys.series(key));
    this.host.announce(keys);
    // The summary showed a small application: its light watchers' lists are wanted now.
    if (this.wantedParts(key).size > wanted.size) this.host.scheduler.kick(`app:${key}`);
    // The driver stopped answering: its source is read now, not at its slow pace.
    if (rec.state.error && source.kind === 'driver' && rec.state.error.kind !== 'timeout') this.host.scheduler.kick(`source:${source.config.id}`);
  }
}
