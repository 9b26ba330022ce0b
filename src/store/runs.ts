/**
 * The runs "Run File with Observability" started in this window: which file each ran and where
 * its driver UI answers, so the cache lenses know which application runs which file. In memory:
 * a run outlives nothing but its window, and its application is found again by the hook's names
 * and call sites anyway.
 */
import type { RunFacts } from '../model/appForFile';

export interface RunRecord extends RunFacts {
  readonly id: number;
  readonly master: string;
  /** Pid of spark-submit (the leader of the run's process group). */
  readonly pid?: number;
  readonly eventsFile?: string;
  /** The command line as shown in the terminal. */
  readonly commandLine: string;
  /** Set when the driver logged the port it bound (it moves on when the asked one is taken). */
  boundUiUrl?: string;
  exitCode?: number | null;
}

type Listener = () => void;

export class RunRegistry {
  private readonly list: RunRecord[] = [];
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  add(r: Omit<RunRecord, 'id'>): RunRecord {
    const rec: RunRecord = { ...r, id: this.nextId++ };
    this.list.push(rec);
    // Keep the recent ones only: lenses look at the newest run of a file.
    if (this.list.length > 50) this.list.splice(0, this.list.length - 50);
    this.emit();
    return rec;
  }

  update(rec: RunRecord, patch: Partial<Pick<RunRecord, 'boundUiUrl' | 'exitCode'>>): void {
    Object.assign(rec, patch);
    this.emit();
  }

  /** As RunFacts, with the UI URL the driver really bound. */
  facts(): RunFacts[] {
    return this.list.map((r) => ({ file: r.file, uiUrl: r.boundUiUrl ?? r.uiUrl, startedAt: r.startedAt }));
  }

  all(): readonly RunRecord[] {
    return this.list;
  }

  onDidChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}
