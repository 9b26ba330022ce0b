/**
 * "Measure Cache Impact" (F7): from a cache lens (the document and the call's line) or the
 * palette (the cache call at or near the cursor), runs the file through "Run File with
 * Observability" without that cache call (the hook's SO_DISABLE_CACHE_AT; the file is not edited)
 * and as written, N times each (sparkObservatory.measureCacheImpact.runs), under a cancellable
 * progress notification, then opens the comparison and records the effect for the lens.
 *
 * A is the run WITHOUT the cache, B the run WITH it: RIP = (A − B) / A is then above 0 exactly
 * when the cache made the metric smaller (for time: when the cache helped), and % change reads
 * as "what the cache did" (−38 % time, +412 MiB storage).
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { FeatureContext } from '../../featureContext';
import { isAlive } from '../../launcher/processes';
import { runEventLogDir } from '../../launcher/runPaths';
import type { RunRecord } from '../../store/runs';
import type { RunFileOptions } from '../runFile/runFile';
import { cacheCallNear, CacheVariant } from '../../model/compareView';
import { formatCacheImpact } from '../../model/compare';
import { scanPythonSource, type CacheCall } from '../../model/cacheScanner';
import { measureCacheImpact, MeasureCancelled, Measurement, StartedRun } from './cacheImpactRun';
import type { CacheImpact } from '../../store/cacheImpacts';
import type { CompareHost, ComparePanel } from './comparePanel';


export interface MeasureResult {
  readonly measurement: Measurement;
  readonly panel: ComparePanel;
  readonly impact?: CacheImpact;
}


/** A Run File with Observability run as the measurement sees it. */
function startedRun(rec: RunRecord): StartedRun {
  const exited = new Promise<number | null>((resolve) => {
    const t = setInterval(() => {
      // RunRegistry.update sets exitCode on the record when spark-submit closes.
      if (rec.exitCode !== undefined) {
        clearInterval(t);
        resolve(rec.exitCode);
      } else if (rec.pid === undefined || !isAlive(rec.pid)) {
        // Never started, or gone without a close event: give 'close' a moment, then call it failed.
        setTimeout(() => {
          clearInterval(t);
          resolve(rec.exitCode ?? null);
        }, 2_000);
      }
    }, 500);
  });
  return {
    pid: rec.pid,
    startedAt: rec.startedAt,
    exited,
    uiUrl: () => rec.boundUiUrl ?? rec.uiUrl,
    requestedUiUrl: rec.uiUrl,
    eventsFile: rec.eventsFile,
    // Stopped as Run File stops its runs (the Python driver first; taskkill on Windows).
    stop: () => void vscode.commands.executeCommand(Command.StopApplication, rec.id),
  };
}

/** The document and cache call the command is about: the lens's arguments, else the cursor. */
async function target(uriArg: unknown, lineArg: unknown): Promise<{ doc: vscode.TextDocument; call: CacheCall } | undefined> {
  let doc: vscode.TextDocument | undefined;
  let line: number | undefined;
  if (uriArg instanceof vscode.Uri || typeof uriArg === 'string') {
    const uri = typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : uriArg;
    doc = await vscode.workspace.openTextDocument(uri);
    line = typeof lineArg === 'number' ? lineArg : undefined;
  } else {
    const editor = vscode.window.activeTextEditor;
    doc = editor?.document;
    line = editor?.selection.active.line;
  }
  if (!doc || doc.languageId !== 'python' || doc.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Measure Cache Impact works on a PySpark file saved on disk: open one and put the cursor on a .cache() or .persist() call.');
    return undefined;
  }
  const calls = scanPythonSource(doc.getText()).calls.filter((c) => c.kind !== 'sqlCacheTable');
  const call = line !== undefined ? cacheCallNear(calls, line) : undefined;
  if (!call) {
    void vscode.window.showErrorMessage(
      calls.length === 0
        ? `${path.basename(doc.uri.fsPath)} has no .cache(), .persist() or cacheTable() call to measure.`
        : 'Put the cursor on the .cache(), .persist() or cacheTable() call to measure (CACHE TABLE in SQL cannot be switched off).',
    );
    return undefined;
  }
  return { doc, call };
}

async function measure(f: FeatureContext, host: CompareHost, uriArg: unknown, lineArg: unknown): Promise<MeasureResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Measure Cache Impact runs the file: trust the workspace to use it.');
    return undefined;
  }
  const t = await target(uriArg, lineArg);
  if (!t) return undefined;
  const file = t.doc.uri.fsPath;
  if (t.doc.isDirty) await t.doc.save();
  const where = `${path.basename(file)}:${t.call.line + 1}`;
  const callText = `${t.call.receiver}.${t.call.kind}()`.replace(/\.sqlCacheTable\(\)$/, '');
  const n = f.config.value.measureCacheImpactRuns;
  const logDir = runEventLogDir(f.config.value.run, f.context.globalStorageUri.fsPath);

  const start = async (variant: CacheVariant): Promise<StartedRun | undefined> => {
    const options: RunFileOptions = {
      preserveFocus: true,
      // The hook numbers lines from 1.
      disableCacheAt: variant === 'withoutCache' ? [{ file, line: t.call.line + 1 }] : [],
    };
    const rec = await vscode.commands.executeCommand<RunRecord | undefined>(Command.RunFile, t.doc.uri, options);
    return rec ? startedRun(rec) : undefined;
  };

  let measurement: Measurement;
  try {
    measurement = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Measuring the impact of ${callText} at ${where}`, cancellable: true },
      async (progress, token) => {
        const ctl = new AbortController();
        const sub = token.onCancellationRequested(() => ctl.abort());
        let last = 0;
        try {
          return await measureCacheImpact({
            store: f.store,
            start,
            eventLogDir: logDir,
            ensureHistory: async () => {
              const r = await vscode.commands.executeCommand<{ state: string; error?: string } | undefined>(Command.EnsureHistoryServer);
              if (!r || r.state === 'running' || r.state === 'covered') return undefined;
              if (r.state === 'failed') return `the extension could not start one: ${r.error}`;
              return r.state === 'off' ? 'sparkObservatory.history.startOwn is off' : `no event log in ${logDir}`;
            },
            signal: ctl.signal,
            progress: (message, done, total) => {
              const pct = (done / total) * 100;
              progress.report({ message, increment: Math.max(0, pct - last) });
              last = Math.max(last, pct);
            },
          }, n);
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof MeasureCancelled) {
      void vscode.window.showInformationMessage('Measure Cache Impact cancelled; the running spark-submit was stopped.');
      return undefined;
    }
    const message = e instanceof Error ? e.message : String(e);
    f.log.warn(`measure cache impact: ${message}`);
    void vscode.window.showErrorMessage(`Measure Cache Impact: ${message}`);
    return undefined;
  }

  const runsText = n > 1 ? ` (median of ${n} runs, interleaved)` : '';
  const panel = host.open({
    a: { keys: measurement.withoutCache.map((r) => r.key), role: `without ${callText} at ${where} (switched off by the hook)${runsText}` },
    b: { keys: measurement.withCache.map((r) => r.key), role: `with ${callText} at ${where}, as written${runsText}` },
    ripLabels: { a: `Without ${callText}`, b: `With ${callText}` },
  });
  await panel.loaded;
  const rows = panel.result?.rows;
  let impact: CacheImpact | undefined;
  if (rows) {
    impact = {
      file,
      line: t.call.line,
      text: formatCacheImpact(rows),
      measuredAt: Date.now(),
      runs: n,
      keysWithout: measurement.withoutCache.map((r) => r.key),
      keysWith: measurement.withCache.map((r) => r.key),
    };
    f.store.cacheImpacts.set(impact);
  }
  return { measurement, panel, impact };
}

export function registerCacheImpact(f: FeatureContext, host: CompareHost): void {
  f.context.subscriptions.push(
    vscode.commands.registerCommand(Command.MeasureCacheImpact, (uri?: unknown, line?: unknown) => measure(f, host, uri, line)),
  );
}
