/**
 * Measure Cache Impact's sequence (F7), without `vscode`, so the integration tests drive this
 * very code against a real Spark: run the file once as written and once with one cache call
 * switched off by the hook (SO_DISABLE_CACHE_AT; the file is not edited), N times each,
 * alternating; wait for each run's process to end; find its application (the event log it
 * wrote, else the driver port it bound); wait until a History Server serves it as finished, so
 * its figures are complete and stay readable after the driver is gone.
 *
 * One run at a time: two Spark jobs side by side would measure each other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Store } from '../../store/store';
import { CacheVariant, measurementPlan, newEventLogApps } from '../../model/compareView';
import { cacheSwitchOffOutcome, HookEvent, parseHookEvents } from '../../model/hookEvents';

/** A run started by the caller (Run File with Observability in the extension). */
export interface StartedRun {
  /** The spark-submit process, leader of its own process group. */
  readonly pid?: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Resolves with the exit code (null: ended by a signal). */
  readonly exited: Promise<number | null>;
  /** The driver UI URL the run bound, when known. */
  uiUrl(): string | undefined;
  /** The driver UI URL the run asked for (its spark.ui.port; Spark moves on when it is taken). */
  readonly requestedUiUrl: string;
  /** Stops the run (its whole process group). */
  stop(): void;
  /** The hook's events of the run (SO_HOOK_EVENTS): whether it switched the cache off. */
  readonly eventsFile?: string;
}

export interface MeasureDeps {
  readonly store: Store;
  readonly start: (variant: CacheVariant, index: number) => Promise<StartedRun | undefined>;
  /** The folder the runs write their event logs to (spark.eventLog.dir). */
  readonly eventLogDir?: string;
  /**
   * Asks for a History Server over that folder (the extension starts its own where none reads
   * it), after each run: resolves when one serves it, or with why none will.
   */
  readonly ensureHistory?: () => Promise<string | undefined>;
  readonly signal?: AbortSignal;
  readonly progress?: (message: string, done: number, total: number) => void;
  /** How long the History Server may take to list a finished run (its update interval is 10 s by default). */
  readonly historyTimeoutMs?: number;
  readonly pollMs?: number;
  readonly now?: () => number;
}

export interface MeasuredRun {
  readonly variant: CacheVariant;
  readonly appId: string;
  /** The store key of the History Server's entry. */
  readonly key: string;
  readonly exitCode: number | null;
}

export interface Measurement {
  readonly withoutCache: readonly MeasuredRun[];
  readonly withCache: readonly MeasuredRun[];
}

export class MeasureCancelled extends Error {
  constructor() {
    super('Measure Cache Impact was cancelled');
  }
}

export class MeasureFailed extends Error {}

/** Waits `ms`, or less when `signal` aborts; leaves no listener on the signal either way. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

function listDir(dir: string | undefined): string[] {
  if (!dir) return [];
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readHookEvents(file: string): HookEvent[] | undefined {
  try {
    return parseHookEvents(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function portOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).port;
  } catch {
    return undefined;
  }
}

/** The application a run served on its UI port, as the store saw it while the driver lived. */
function appByPort(store: Store, run: StartedRun): string | undefined {
  const port = portOf(run.uiUrl());
  if (!port) return undefined;
  const hit = store.applications().find((e) =>
    e.via === 'driver' && portOf(store.source(e.sourceId)?.config.url) === port && (e.app.startTime ?? Infinity) >= run.startedAt - 5_000);
  return hit?.app.id;
}

export const VARIANT_TEXT: Record<CacheVariant, string> = { withoutCache: 'without the cache', withCache: 'with the cache' };

/** Runs the plan; resolves with each variant's runs in the History Server, in order. */
export async function measureCacheImpact(deps: MeasureDeps, runsPerVariant: number): Promise<Measurement> {
  const plan = measurementPlan(runsPerVariant);
  const { store, signal } = deps;
  const pollMs = deps.pollMs ?? 2_000;
  const now = deps.now ?? Date.now;
  const done: MeasuredRun[] = [];
  const check = () => {
    if (signal?.aborted) throw new MeasureCancelled();
  };
  for (let i = 0; i < plan.length; i++) {
    check();
    const variant = plan[i];
    const label = `Run ${i + 1} of ${plan.length}, ${VARIANT_TEXT[variant]}`;
    deps.progress?.(`${label}: spark-submit…`, i, plan.length);
    const before = listDir(deps.eventLogDir);
    const run = await deps.start(variant, i);
    if (!run) throw new MeasureFailed(`${label}: the run did not start`);
    // While it runs, the store polls now and then, so the driver's application is seen by port.
    let ended = false;
    const code = await new Promise<number | null>((resolve, reject) => {
      const onAbort = () => {
        run.stop();
        reject(new MeasureCancelled());
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      void (async () => {
        while (!ended && !signal?.aborted) {
          await sleep(pollMs * 2, signal);
          if (!ended) await store.refresh().catch(() => undefined);
        }
      })();
      run.exited.then((c) => {
        ended = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(c);
      }, reject);
    }).finally(() => (ended = true));
    check();
    if (code !== 0) throw new MeasureFailed(`${label}: spark-submit ended with ${code === null ? 'a signal' : `exit code ${code}`} (see its terminal)`);
    if (variant === 'withoutCache' && run.eventsFile) {
      const off = cacheSwitchOffOutcome(readHookEvents(run.eventsFile));
      if (!off.ok) throw new MeasureFailed(`${label}: ${off.message}`);
    }

    const fresh = newEventLogApps(before, listDir(deps.eventLogDir));
    // One new event log is this run's; several (other jobs share the folder): the one the store
    // saw on the run's UI port, else the one whose spark.ui.port is the port the run asked for.
    let appId = fresh.length === 1 ? fresh[0] : appByPort(store, run);
    if (!appId && fresh.length === 0) {
      throw new MeasureFailed(`${label}: its application was not found: no new event log in ${deps.eventLogDir ?? '(no event-log folder)'} and no driver seen on its UI port`);
    }
    const noHistory = deps.ensureHistory ? await deps.ensureHistory() : undefined;
    deps.progress?.(`${label}: waiting for the History Server to list ${appId ?? 'it'}…`, i + 0.5, plan.length);
    const deadline = now() + (deps.historyTimeoutMs ?? 120_000);
    const checked = new Set<string>();
    let key: string | undefined;
    for (;;) {
      check();
      await store.refresh().catch(() => undefined);
      const listed = (id: string) => store.applications().find((e) => e.app.id === id && e.via === 'history' && e.app.state === 'completed');
      if (!appId) {
        for (const id of fresh) {
          const e = listed(id);
          if (!e || checked.has(id)) continue;
          // A read that timed out (the History Server still replaying the log) is tried again.
          const env = await store.reads.environment(e.key).catch(() => undefined);
          if (env) checked.add(id);
          if (env && env.sparkProperties['spark.ui.port'] === portOf(run.requestedUiUrl)) appId = id;
        }
      }
      key = appId ? listed(appId)?.key : undefined;
      if (key && appId) break;
      if (now() > deadline) {
        throw new MeasureFailed(
          `${label}: no History Server lists ${appId ?? 'its application'} as finished${noHistory ? ` (${noHistory})` : ''}. Measure Cache Impact reads finished runs from a History Server: ` +
          `turn on sparkObservatory.history.startOwn, run one over ${deps.eventLogDir ?? 'the runs\' event-log folder'} (spark.history.fs.logDirectory), or point sparkObservatory.run.eventLogDir at its folder.`,
        );
      }
      await sleep(pollMs, signal);
    }
    // The History Server replays a finished application's event log at its first read, which on
    // a busy machine outlasts a request's timeout: read it once here (retrying until the
    // deadline), so the comparison's reads find it loaded.
    while (!(await store.reads.environment(key).then(() => true, () => false)) && now() <= deadline) {
      check();
      await sleep(pollMs, signal);
    }
    done.push({ variant, appId, key, exitCode: code });
  }
  deps.progress?.('Comparing…', plan.length, plan.length);
  return { withoutCache: done.filter((r) => r.variant === 'withoutCache'), withCache: done.filter((r) => r.variant === 'withCache') };
}
