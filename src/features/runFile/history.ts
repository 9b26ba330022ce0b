/**
 * The run history (issue 15): every Run File run is recorded in the extension's global storage
 * (store/runHistoryFile.ts), loaded again in the next window, bounded by count and
 * `sparkObservatory.run.retentionDays`; each run learns its application id from Spark's log
 * (runFile.ts) or, failing that, from the driver on its UI port (here). "Spark: Compare with
 * Previous Run" opens Compare Runs for a run of a file and the run of the same file before it,
 * both read from the store (a finished run from a History Server that reads its event log).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Command } from '../../commands';
import type { FeatureContext } from '../../featureContext';
import { HISTORY_FILE, RunHistoryFile } from '../../store/runHistoryFile';
import type { Store } from '../../store/store';

/** How long Compare with Previous Run waits for a History Server to list a run that just ended (its default update interval is 10 s). */
const LIST_TIMEOUT_MS = 45_000;

/** The store key of an application: a History Server's finished entry first, else whatever serves it. */
export function appKeyFor(store: Store, appId: string): string | undefined {
  const all = store.applications().filter((e) => e.app.id === appId);
  const rank = (via: string, state: string) => (via === 'history' && state === 'completed' ? 0 : via === 'driver' ? 1 : via === 'history' ? 2 : 3);
  return all.sort((a, b) => rank(a.via, a.app.state) - rank(b.via, b.app.state))[0]?.key;
}

/** The application ids of the running runs of this window that Spark's log did not name: the driver on their UI port does. */
function learnAppIds(store: Store): void {
  const runs = store.runs;
  if (!runs.running().some((r) => !r.appId)) return;
  for (const e of store.applications()) {
    if (e.via !== 'driver') continue;
    const r = runs.runningForApplication({ id: e.app.id, sourceUrl: store.source(e.sourceId)?.config.url, startTime: e.app.startTime });
    if (r && !r.appId) runs.update(r, { appId: e.app.id });
  }
}

async function waitForKeys(store: Store, ids: readonly string[], signal: { cancelled: boolean }): Promise<(string | undefined)[]> {
  const deadline = Date.now() + LIST_TIMEOUT_MS;
  for (;;) {
    const keys = ids.map((id) => appKeyFor(store, id));
    if (keys.every(Boolean) || Date.now() > deadline || signal.cancelled) return keys;
    await store.refresh().catch(() => undefined);
    const again = ids.map((id) => appKeyFor(store, id));
    if (again.every(Boolean)) return again;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function compareWithPrevious(f: FeatureContext, file: RunHistoryFile, uriArg: unknown, appIdArg: unknown): Promise<unknown> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Compare with Previous Run compares two runs of a PySpark file: open the file first.');
    return undefined;
  }
  const runs = f.store.runs;
  // Runs another window recorded since this one loaded the history.
  runs.merge(await file.read());
  const name = path.basename(uri.fsPath);
  const pair = runs.previousPair(uri.fsPath, typeof appIdArg === 'string' ? appIdArg : undefined);
  if (!pair) {
    const known = runs.all().filter((r) => r.file === uri.fsPath && r.appId).length;
    void vscode.window.showInformationMessage(
      `Compare with Previous Run needs two runs of ${name} started with Run File with Observability; ${known === 1 ? 'one is' : `${known} are`} recorded.`,
    );
    return undefined;
  }
  const ids = [pair.previous.appId!, pair.current.appId!];
  const signal = { cancelled: false };
  let keys = ids.map((id) => appKeyFor(f.store, id));
  if (!keys.every(Boolean)) {
    keys = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Waiting for ${ids.join(' and ')} to be listed`, cancellable: true },
      (_p, token) => {
        token.onCancellationRequested(() => (signal.cancelled = true));
        return waitForKeys(f.store, ids, signal);
      },
    );
  }
  const missing = ids.filter((_, i) => !keys[i]);
  if (signal.cancelled) return undefined;
  if (missing.length > 0) {
    const dir = pair.previous.eventLogDir ?? 'its event-log folder';
    void vscode.window.showErrorMessage(
      `Compare with Previous Run: no source serves ${missing.join(' and ')}. A finished run is read from a History Server: run one over ${dir} (spark.history.fs.logDirectory), or point sparkObservatory.run.eventLogDir at the folder yours reads.`,
    );
    return undefined;
  }
  // A: the previous run (the baseline), B: this one.
  return vscode.commands.executeCommand(Command.CompareRuns, keys[0], keys[1]);
}

/** When the run history is read at the latest after activation. */
const HISTORY_LOAD_DELAY_MS = 2_000;

export function registerHistory(f: FeatureContext): RunHistoryFile {
  const file = new RunHistoryFile(path.join(f.context.globalStorageUri.fsPath, HISTORY_FILE), (m) => f.log.warn(m));
  const runs = f.store.runs;
  runs.persistTo(file);
  // Read after the store's first news, off the activation path; or a few seconds after
  // activation when no news comes (no source answers: local work with nothing configured).
  let loaded = false;
  const load = () => {
    if (loaded) return;
    loaded = true;
    first.dispose();
    clearTimeout(later);
    // sparkObservatory.run.retentionDays also bounds the run files in the extension's storage.
    void file.compact(Date.now(), f.config.value.run.retentionDays).then((kept) => runs.merge(kept));
  };
  const first = f.store.onDidChange(load);
  const later = setTimeout(load, HISTORY_LOAD_DELAY_MS);
  f.context.subscriptions.push(
    first,
    { dispose: () => clearTimeout(later) },
    f.store.onDidChange(() => learnAppIds(f.store)),
    vscode.commands.registerCommand(Command.CompareWithPreviousRun, (uri?: unknown, appId?: unknown) => compareWithPrevious(f, file, uri, appId)),
  );
  return file;
}
