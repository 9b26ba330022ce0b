/**
 * F10, the History Server half: the extension's own History Server over the Run-File event logs
 * (store/ownHistory.ts), bound to the editor: the command other features call when they need one
 * (Run File when a run ends, Measure Cache Impact, Compare Runs), the setting that turns it off,
 * a minute's tick for the idle stop, and the stop when the window closes. Its Spark is the one
 * Run File last ran a job with (remembered across windows), else the one Run File would find.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { Command } from '../../commands';
import type { FeatureContext } from '../../featureContext';
import { findSparkSubmit } from '../../launcher/sparkSubmit';
import { diskProbe } from '../../launcher/interpreter';
import { interpreterFor } from '../runFile/pythonEnvironment';
import { runEventLogDir } from '../../launcher/runPaths';
import { EnsureResult, OwnHistoryServer } from '../../store/ownHistory';

const LAST_SPARK_SUBMIT = 'sparkObservatory.lastSparkSubmit';
const TICK_MS = 60_000;

/** What Run File passes when a run ended: the spark-submit it ran (its Spark starts the History Server). */
export interface EnsureHistoryArgs {
  readonly sparkSubmit?: string;
}

/** The Spark folder of a spark-submit (`<home>/bin/spark-submit`), when it has bin/spark-class. */
function homeOf(sparkSubmit: string): string | undefined {
  const home = path.dirname(path.dirname(sparkSubmit));
  return diskProbe.isExecutable(path.join(home, 'bin', 'spark-class')) ? home : undefined;
}

export function register(f: FeatureContext): void {
  const state = f.context.globalState;
  const sparkHome = async (): Promise<string | { error: string }> => {
    const last = state.get<string>(LAST_SPARK_SUBMIT);
    const fromLast = last && homeOf(last);
    if (fromLast) return fromLast;
    // The Spark Run File would use for a file of the first folder (the same interpreter lookup).
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(f.context.globalStorageUri.fsPath);
    const found = await findSparkSubmit({
      setting: f.config.value.sparkSubmitPath,
      pathEnv: process.env.PATH,
      sparkHome: process.env.SPARK_HOME,
      interpreter: await interpreterFor(folder),
    });
    if ('error' in found) return found;
    return (found.sparkHome && homeOf(path.join(found.sparkHome, 'bin', 'spark-submit'))) ?? homeOf(found.path) ?? { error: `${found.path} has no bin/spark-class beside it` };
  };
  const own = new OwnHistoryServer({
    store: f.store,
    logDir: () => runEventLogDir(f.config.value.run, f.context.globalStorageUri.fsPath),
    workDir: path.join(f.context.globalStorageUri.fsPath, 'history-server'),
    sparkHome,
    enabled: () => f.config.value.historyStartOwn && vscode.workspace.isTrusted,
    log: { info: (m) => f.log.info(m), warn: (m) => f.log.warn(m), error: (m) => f.log.error(m) },
  });
  const ensure = async (args?: EnsureHistoryArgs): Promise<EnsureResult> => {
    if (args?.sparkSubmit && homeOf(args.sparkSubmit)) await state.update(LAST_SPARK_SUBMIT, args.sparkSubmit);
    if (own.url) return own.ensure();
    // Starting takes a JVM's start-up (seconds to tens of seconds on a busy machine): say so.
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Spark: History Server for Run-File runs…' }, () => own.ensure());
  };
  const timer = setInterval(() => void own.tick(f.store.isViewVisible()), TICK_MS);
  f.context.subscriptions.push(
    vscode.commands.registerCommand(Command.EnsureHistoryServer, (args?: EnsureHistoryArgs) => ensure(args)),
    f.config.onDidChange((c) => {
      if (!c.historyStartOwn) void own.stop();
    }),
    { dispose: () => clearInterval(timer) },
    // Last: the window closes, the process goes (its whole process group).
    own,
  );
}
