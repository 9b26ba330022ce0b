/**
 * The extension's own History Server over the Run-File event-log folder, where no History Server
 * of the user's reads it (model/ownHistory.ts decides, sources/historyServer.ts runs the
 * process): started when first needed (a run ended, Measure Cache Impact, Compare, the Spark view
 * shown again after it stopped), a source of the store in the `local` group while it runs,
 * stopped when idle and when the window closes. Without `vscode`, so the integration tests drive
 * this very code.
 */
import { readdirSync } from 'node:fs';
import { isIdle, ownHistoryDecision, OwnHistoryDecision } from '../model/ownHistory';
import { RunningHistoryServer, startHistoryServer } from '../sources/historyServer';
import type { Logger, Store } from './store';

/** The store id of our History Server (as a source: `own:history`). */
export const OWN_HISTORY_ID = 'history';
export const OWN_HISTORY_SOURCE_ID = `own:${OWN_HISTORY_ID}`;
export const OWN_HISTORY_NAME = 'History Server (started by Spark Observatory)';

export interface OwnHistoryDeps {
  readonly store: Store;
  /** The folder Run File writes event logs to. */
  readonly logDir: () => string;
  /** A folder of ours for its conf and log. */
  readonly workDir: string;
  /** The Spark folder (bin/spark-class) of the pyspark that runs the jobs, or why there is none. */
  readonly sparkHome: () => Promise<string | { readonly error: string }>;
  /** sparkObservatory.history.startOwn. */
  readonly enabled: () => boolean;
  readonly log: Logger;
  readonly now?: () => number;
  /** Stopped after this long unneeded (default 10 min). */
  readonly idleMs?: number;
  /** Extra environment for the process (tests tag it). */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

export type EnsureResult =
  | { readonly state: 'running'; readonly url: string }
  | { readonly state: Exclude<OwnHistoryDecision, 'start'> }
  | { readonly state: 'failed'; readonly error: string };

export class OwnHistoryServer {
  private server: RunningHistoryServer | undefined;
  /** The folder the running server reads (the Run-File folder when it started). */
  private folder: string | undefined;
  private starting: Promise<EnsureResult> | undefined;
  private lastNeededAt = 0;
  private startedOnce = false;
  private disposed = false;
  private readonly now: () => number;

  constructor(private readonly deps: OwnHistoryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The URL while it runs. */
  get url(): string | undefined {
    return this.server?.url;
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  /**
   * A History Server over the Run-File folder is needed now: ours is started unless one of the
   * user's reads the folder, the setting is off, or the folder has no event log yet.
   */
  ensure(o: { fresh?: boolean } = {}): Promise<EnsureResult> {
    this.lastNeededAt = this.now();
    // Runs now log elsewhere (run.eventLogDir or extraConf changed): a server over the old
    // folder would list runs that are no longer the Run-File ones, and never the new ones.
    if (this.server && this.folder !== this.deps.logDir()) {
      if (!this.starting) this.starting = this.stop().then(() => this.decideAndStart(true)).finally(() => (this.starting = undefined));
      return this.starting;
    }
    if (this.server) return Promise.resolve({ state: 'running', url: this.server.url });
    if (!this.starting) this.starting = this.decideAndStart(o.fresh ?? true).finally(() => (this.starting = undefined));
    return this.starting;
  }

  /**
   * Called now and then (a minute): stops it when idle; starts it again when the Spark view shows
   * and it ran before in this window (the finished runs belong in the tree).
   */
  async tick(viewVisible: boolean): Promise<void> {
    const now = this.now();
    if (this.server) {
      if (this.inUse(viewVisible)) this.lastNeededAt = now;
      if (isIdle({ now, lastNeededAt: this.lastNeededAt, idleMs: this.deps.idleMs ?? 600_000, inUse: false })) {
        this.deps.log.info(`stopping the History Server of Spark Observatory (idle for ${Math.round((now - this.lastNeededAt) / 60_000)} min)`);
        await this.stop();
      }
    } else if (viewVisible && this.startedOnce && !this.starting) {
      await this.ensure({ fresh: false });
    }
  }

  /** Stops it (idle, setting switched off, the window closes). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    this.deps.store.setOwnSources([]);
    await s.stop();
  }

  /** Stops it at once without waiting (deactivation is synchronous). */
  dispose(): void {
    this.disposed = true;
    const s = this.server;
    this.server = undefined;
    if (s) void s.stop(5_000);
  }

  private inUse(viewVisible: boolean): boolean {
    const store = this.deps.store;
    if (viewVisible) return true;
    if (store.runs.all().some((r) => r.exitCode === undefined)) return true;
    return store.applications().some((e) => e.sourceId === OWN_HISTORY_SOURCE_ID && store.isWatched(e.key));
  }

  private async decideAndStart(fresh: boolean): Promise<EnsureResult> {
    const store = this.deps.store;
    // What the user's History Servers list now (a run that just ended must have had its chance).
    if (fresh) await store.refresh().catch(() => undefined);
    const folder = this.deps.logDir();
    let entries: string[] = [];
    try {
      entries = readdirSync(folder);
    } catch {
      /* no folder yet: no event log */
    }
    const decision = ownHistoryDecision({
      enabled: this.deps.enabled(),
      folder,
      folderEntries: entries,
      historyServers: store
        .allSources()
        .filter((s) => (s.kind ?? s.config.kind) === 'history' && s.config.origin !== 'own')
        .map((s) => ({ ok: s.status === 'ok', apps: s.apps })),
    });
    if (decision !== 'start') return { state: decision };
    const home = await this.deps.sparkHome();
    if (typeof home !== 'string') return { state: 'failed', error: home.error };
    this.deps.log.info(`starting Spark's History Server from ${home} over ${folder}: no History Server reads that folder`);
    try {
      const s = await startHistoryServer({ sparkHome: home, logDir: folder, workDir: this.deps.workDir, env: this.deps.env, startTimeoutMs: this.deps.startTimeoutMs });
      if (this.disposed) {
        void s.stop();
        return { state: 'failed', error: 'the window closed' };
      }
      this.server = s;
      this.folder = folder;
      this.startedOnce = true;
      this.lastNeededAt = this.now();
      void s.exited.then(() => {
        if (this.server !== s) return;
        this.deps.log.warn(`the History Server of Spark Observatory ended on its own (log: ${s.logFile})`);
        this.server = undefined;
        store.setOwnSources([]);
      });
      store.setOwnSources([{ id: OWN_HISTORY_ID, name: OWN_HISTORY_NAME, url: s.url, kind: 'history' }]);
      this.deps.log.info(`History Server of Spark Observatory at ${s.url} (pid ${s.pid})`);
      await store.refresh().catch(() => undefined);
      return { state: 'running', url: s.url };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.deps.log.warn(`could not start Spark's History Server: ${error}`);
      return { state: 'failed', error };
    }
  }
}
