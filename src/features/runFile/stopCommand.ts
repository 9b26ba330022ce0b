/**
 * "Spark: Stop Application": stops a running application that this window started with Run File
 * with Observability. From the tree (the inline stop icon of an application node whose
 * contextValue ends in `.ours`), from the palette (a quick pick of this window's running runs),
 * or given a run id. The context key `sparkObservatory.runsInWindow` shows the command in the
 * palette only while there is something to stop.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Command } from '../../commands';
import type { FeatureContext } from '../../featureContext';
import { formatAge } from '../../model/format';
import { appKeyArg } from '../../ui/commandArgs';
import type { RunRecord } from '../../store/runs';
import type { RunFileCommand } from './runFile';

export const RUNS_CONTEXT_KEY = 'sparkObservatory.runsInWindow';

/** The run a command argument means: a tree node of its application, a run id, or a run record. */
function runOf(f: FeatureContext, arg: unknown): RunRecord | 'notOurs' | undefined {
  const runs = f.store.runs;
  const key = appKeyArg(arg);
  if (key) {
    const e = f.store.entry(key);
    if (!e) return undefined;
    return runs.runningForApplication({ id: e.app.id, sourceUrl: f.store.source(e.sourceId)?.config.url, startTime: e.app.startTime }) ?? 'notOurs';
  }
  const id = typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string' ? (arg as { id: string }).id : undefined;
  return id ? runs.running().find((r) => r.id === id) : undefined;
}

async function pickRun(f: FeatureContext): Promise<RunRecord | undefined> {
  const running = f.store.runs.running();
  if (running.length === 0) {
    void vscode.window.showInformationMessage('No application started from this window is running.');
    return undefined;
  }
  // A pick even for one run: it says what is about to be stopped.
  const now = Date.now();
  const pick = await vscode.window.showQuickPick(
    running.map((r) => ({
      label: path.basename(r.file),
      description: [r.appId, r.boundUiUrl ?? r.uiUrl].filter(Boolean).join(' · '),
      detail: `started ${formatAge(now - r.startedAt)} · ${r.file}`,
      run: r,
    })),
    { title: 'Stop Application', placeHolder: 'Which run of this window to stop' },
  );
  return pick?.run;
}

export function registerStop(f: FeatureContext, runner: RunFileCommand): void {
  const setContext = () => void vscode.commands.executeCommand('setContext', RUNS_CONTEXT_KEY, f.store.runs.running().length > 0);
  setContext();
  f.context.subscriptions.push(
    f.store.runs.onDidChange(setContext),
    vscode.commands.registerCommand(Command.StopApplication, async (arg?: unknown): Promise<RunRecord | undefined> => {
      const found = arg === undefined ? await pickRun(f) : runOf(f, arg);
      if (found === 'notOurs') {
        void vscode.window.showInformationMessage('This application was not started from this window: stop it where it was started.');
        return undefined;
      }
      if (!found) return undefined;
      return runner.stop(found) ? found : undefined;
    }),
  );
}
