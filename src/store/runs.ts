/**
 * The runs of "Run File with Observability": those started in this window (with their process,
 * while they run) and the recorded history of earlier ones (model/runHistory.ts), so the cache
 * lenses know which application runs which file, the tree knows which applications this window
 * may stop, and "Compare with Previous Run" finds the run before this one. Each change of a run
 * goes to the sink (the history file, store/runHistoryFile.ts) when one is attached.
 */
import type { RunFacts } from '../model/appForFile';
import { AppIdentity, HISTORY_MAX_RUNS, newRunId, previousRunPair, runForApplication, RunHistoryRecord } from '../model/runHistory';

export interface RunRecord extends Omit<RunHistoryRecord, 'boundUiUrl' | 'exitCode' | 'appId' | 'endedAt'> {
  /** Pid of spark-submit (the leader of the run's processes), for runs of this window. */
  readonly pid?: number;
  /** Set when the driver logged the port it bound (it moves on when the asked one is taken). */
  boundUiUrl?: string;
  exitCode?: number | null;
  appId?: string;
  endedAt?: number;
}

export type RunPatch = Partial<Pick<RunRecord, 'boundUiUrl' | 'exitCode' | 'appId' | 'endedAt'>>;

/** Where records go when they change (the history file). */
export interface RunSink {
  append(rec: RunHistoryRecord): void;
}

type Listener = () => void;

export class RunRegistry {
  private readonly list: RunRecord[] = [];
  /** Ids of the runs started in this window. */
  private readonly ours = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private sink: RunSink | undefined;

  constructor(private readonly random: () => number = Math.random) {}

  /** Records a run this window started. */
  add(r: Omit<RunRecord, 'id'>): RunRecord {
    const rec: RunRecord = { ...r, id: newRunId(r.startedAt, this.random()) };
    this.list.push(rec);
    this.ours.add(rec.id);
    this.trim();
    this.sink?.append(rec);
    this.emit();
    return rec;
  }

  update(rec: RunRecord, patch: RunPatch): void {
    const changed = (Object.keys(patch) as (keyof RunPatch)[]).some((k) => rec[k] !== patch[k]);
    if (!changed) return;
    Object.assign(rec, patch);
    this.sink?.append(rec);
    this.emit();
  }

  /** Adds recorded runs (from the history file); a run this window knows keeps its own state. */
  merge(records: readonly RunHistoryRecord[]): void {
    const known = new Map(this.list.map((r) => [r.id, r]));
    let added = false;
    for (const r of records) {
      const mine = known.get(r.id);
      if (mine && this.ours.has(r.id)) continue;
      if (mine) Object.assign(mine, r);
      else this.list.push({ ...r });
      added = true;
    }
    if (!added) return;
    this.list.sort((a, b) => a.startedAt - b.startedAt);
    this.trim();
    this.emit();
  }

  /** Records go to `sink` from now on. */
  persistTo(sink: RunSink | undefined): void {
    this.sink = sink;
  }

  all(): readonly RunRecord[] {
    return this.list;
  }

  /** Started in this window. */
  isOurs(rec: RunRecord): boolean {
    return this.ours.has(rec.id);
  }

  /** Runs of this window whose process has not ended. */
  running(): RunRecord[] {
    return this.list.filter((r) => this.ours.has(r.id) && r.endedAt === undefined);
  }

  /** The run that started an application (by its id, or by the UI port of a run still going). */
  forApplication(app: AppIdentity): RunRecord | undefined {
    return runForApplication(this.list, app);
  }

  /** The run of this window, still running, that started an application: it can be stopped from here. */
  runningForApplication(app: AppIdentity): RunRecord | undefined {
    const r = this.forApplication(app);
    return r && this.ours.has(r.id) && r.endedAt === undefined ? r : undefined;
  }

  /** A run of `file` (of application `appId`, else the newest) and the run of the file before it. */
  previousPair(file: string, appId?: string): { previous: RunRecord; current: RunRecord } | undefined {
    return previousRunPair(this.list, file, appId) as { previous: RunRecord; current: RunRecord } | undefined;
  }

  /**
   * As RunFacts for the lenses: a running run of this window by the UI URL its driver bound (a
   * later application may reuse the port of one that ended), every run by its application id.
   */
  facts(): RunFacts[] {
    return this.list
      .filter((r) => r.appId || (this.ours.has(r.id) && r.endedAt === undefined))
      .map((r) => ({
        file: r.file,
        startedAt: r.startedAt,
        appId: r.appId,
        uiUrl: this.ours.has(r.id) && r.endedAt === undefined ? r.boundUiUrl ?? r.uiUrl : undefined,
      }));
  }

  onDidChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  /** The newest HISTORY_MAX_RUNS; a run of this window still going is never dropped. */
  private trim(): void {
    let excess = this.list.length - HISTORY_MAX_RUNS;
    for (let i = 0; excess > 0 && i < this.list.length; ) {
      const r = this.list[i];
      if (this.ours.has(r.id) && r.endedAt === undefined) {
        i++;
        continue;
      }
      this.list.splice(i, 1);
      this.ours.delete(r.id);
      excess--;
    }
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}
