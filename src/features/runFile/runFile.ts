/**
 * "Run File with Observability" (F5): runs a PySpark file with spark-submit, the hook and
 * everything the other features read, in a terminal the user sees. The command line comes from
 * launcher/submitCommand.ts (the integration tests run the same); this file only finds the
 * pieces (the interpreter, spark-submit, a free UI port, folders), shows the output, records the
 * run (store.runs, kept as history) and stops what it started: on Stop, when its terminal
 * closes, and when the extension deactivates.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureContext } from '../../featureContext';
import { buildSubmitCommand, commandLine } from '../../launcher/submitCommand';
import { findSparkSubmit, FoundSparkSubmit } from '../../launcher/sparkSubmit';
import { anyFreePort, firstFreePort } from '../../launcher/freePort';
import { interpreterEnv } from '../../launcher/pythonPaths';
import { appIdFromSparkLog, recordedArgs, submittedConfs } from '../../model/runHistory';
import { runEventLogDir } from '../../launcher/runPaths';
import type { RunRecord, RunRegistry } from '../../store/runs';
import type { Config } from '../../config';
import { pruneRunStorage, RunStorage } from './retention';
import { interpreterFor, showSparkSubmitNotFound } from './pythonEnvironment';
import { RunTerminal } from './runTerminal';

/** What a caller (a lens, Measure Cache Impact, a test) may add to a run. */
export interface RunFileOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Cache calls to switch off, lines 1-based. */
  readonly disableCacheAt?: readonly { readonly file: string; readonly line: number }[];
  readonly appName?: string;
  /** Do not focus the terminal (tests, background comparisons). */
  readonly preserveFocus?: boolean;
}

const UI_BOUND = /Successfully started service '?SparkUI'? on port (\d+)/;

/** The variables the run adds for its interpreter, and a note of them for the terminal. */
function launchEnv(found: FoundSparkSubmit): { env: Record<string, string>; note?: string } {
  const env = found.python
    ? interpreterEnv({ python: found.python, sparkHome: found.sparkHome, baseEnv: process.env, platform: process.platform })
    : found.sparkHome
      ? { SPARK_HOME: found.sparkHome }
      : {};
  const bits = Object.entries(env).map(([k, v]) => (k.toUpperCase() === 'PATH' ? `${k}=${path.dirname(found.python!)}${path.delimiter}…` : `${k}=${v}`));
  return { env, note: bits.length ? `with ${bits.join(' ')}` : undefined };
}

/** A local folder given as a path or a file: URL; undefined for anything else (hdfs:, s3a:…). */
function localPath(dir: string | undefined): string | undefined {
  if (!dir || !/^(file:|\/)/.test(dir)) return undefined;
  try {
    return dir.startsWith('file:') ? fileURLToPath(dir) : dir;
  } catch {
    return undefined;
  }
}

/**
 * The folders of the extension's storage that retention prunes. The event-log folder there is
 * the extension's own even when runs now log elsewhere; a folder the user configured is left out.
 */
function ownStorage(storage: string, settings: Config['run']): RunStorage {
  const eventLogDir = path.join(storage, 'eventlog');
  const users = [settings.eventLogDir, localPath(settings.extraConf['spark.eventLog.dir'])].filter((d): d is string => !!d);
  return { eventLogDir: users.some((d) => path.resolve(d) === eventLogDir) ? undefined : eventLogDir, runsDir: path.join(storage, 'runs') };
}

export class RunFileCommand implements vscode.Disposable {
  /** The terminal of each run of this window, by run id. */
  private readonly terminals = new Map<string, { term: vscode.Terminal; pty: RunTerminal }>();
  private pruning: Promise<void> | undefined;

  constructor(
    private readonly f: FeatureContext,
    private readonly runs: RunRegistry,
  ) {}

  async run(target?: vscode.Uri, options: RunFileOptions = {}): Promise<RunRecord | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        'Run File with Observability is disabled in an untrusted workspace: it would run the file\'s code and a spark-submit chosen by settings. Trust the workspace to use it.',
      );
      return undefined;
    }
    const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.py')) {
      void vscode.window.showErrorMessage('Run File with Observability runs a PySpark file (.py) saved on disk; open one first.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) await open.save();

    const cfg = this.f.config.value;
    const settings = cfg.run;
    const interpreter = await interpreterFor(uri);
    const found = await findSparkSubmit({ setting: cfg.sparkSubmitPath, pathEnv: process.env.PATH, sparkHome: process.env.SPARK_HOME, interpreter });
    if ('error' in found) {
      this.f.log.warn(found.error);
      void showSparkSubmitNotFound(found.error);
      return undefined;
    }
    const uiPort = (await firstFreePort(cfg.discovery.driverPorts)) ?? (await anyFreePort());
    if (!cfg.discovery.driverPorts.includes(uiPort)) {
      this.f.log.warn(`every driver port of the discovery range is taken; the run uses ${uiPort}, which discovery does not probe`);
    }
    const storage = this.f.context.globalStorageUri.fsPath;
    const eventLogDir = runEventLogDir(settings, storage);
    const runsDir = path.join(storage, 'runs');
    mkdirSync(eventLogDir, { recursive: true });
    mkdirSync(runsDir, { recursive: true });
    const startedAt = Date.now();
    const eventsFile = path.join(runsDir, `${path.basename(uri.fsPath, '.py')}-${startedAt}.jsonl`);
    const cmd = buildSubmitCommand({
      sparkSubmit: found.path,
      file: uri.fsPath,
      args: options.args,
      master: settings.master,
      // `classic` is the default: a `spark.api.mode=connect` in extraConf still means Connect.
      apiMode: settings.apiMode === 'connect' ? 'connect' : undefined,
      uiPort,
      eventLogDir,
      hookDir: path.join(this.f.context.extensionPath, 'dist', 'python'),
      appName: options.appName,
      extraConf: settings.extraConf,
      eventsFile,
      disableCacheAt: options.disableCacheAt,
      python: found.python,
      env: options.env,
    });
    const launch = launchEnv(found);
    const python = found.python ? `, python ${found.python} (via ${found.pythonVia})` : '';
    this.f.log.info(`run ${uri.fsPath} with ${found.path} (found via ${found.via}${python}): ${commandLine(cmd)}${launch.note ? ` ${launch.note}` : ''}`);

    // Filled right after the process starts; its output callbacks only fire later.
    const run: { rec?: RunRecord } = {};
    const refreshSoon = () => {
      // The REST API lists the application shortly after the UI binds.
      void this.f.store.refresh();
      for (const ms of [1500, 4000]) setTimeout(() => void this.f.store.refresh(), ms).unref();
    };
    const pty = new RunTerminal({
      cmd,
      cwd: path.dirname(uri.fsPath),
      env: { ...process.env, ...launch.env, ...cmd.env },
      envNote: launch.note,
      watchdogScript: path.join(this.f.context.extensionPath, 'dist', 'watchdog.js'),
      onLine: (line) => {
        const rec = run.rec;
        if (!rec) return;
        const m = UI_BOUND.exec(line);
        if (m && !rec.boundUiUrl) {
          this.runs.update(rec, { boundUiUrl: `http://127.0.0.1:${m[1]}` });
          refreshSoon();
        }
        const appId = rec.appId ? undefined : appIdFromSparkLog(line);
        if (appId) this.runs.update(rec, { appId });
      },
      onExit: (code) => {
        if (run.rec) this.runs.update(run.rec, { exitCode: code, endedAt: Date.now() });
        if (run.rec) this.terminals.delete(run.rec.id);
        void this.f.store.refresh();
        // The run stays in the tree, comparable, with its hints: a History Server over its event
        // log is needed now (the extension starts Spark's own where none reads the folder).
        void vscode.commands.executeCommand(Command.EnsureHistoryServer, { sparkSubmit: found.sparkHome ? path.join(found.sparkHome, 'bin', 'spark-submit') : found.path }).then(undefined, (e: unknown) => this.f.log.warn(`History Server: ${String(e)}`));
        void this.prune();
      },
    });
    const pid = pty.start();
    const confs = submittedConfs(cmd.args);
    const rec = this.runs.add({
      file: uri.fsPath,
      args: recordedArgs(options.args ?? []),
      confs,
      master: settings.master,
      uiUrl: cmd.uiUrl,
      startedAt,
      pid,
      eventsFile,
      eventLogDir: confs.find(([k]) => k === 'spark.eventLog.dir')?.[1] ?? eventLogDir,
      commandLine: commandLine(cmd),
    });
    run.rec = rec;
    const term = vscode.window.createTerminal({ name: `Spark: ${path.basename(uri.fsPath)}`, pty, iconPath: new vscode.ThemeIcon('zap') });
    this.terminals.set(rec.id, { term, pty });
    term.show(options.preserveFocus ?? false);
    void this.f.store.refresh();
    return rec;
  }

  /** Deletes the run files past sparkObservatory.run.retentionDays (one pass at a time). */
  prune(): Promise<void> {
    this.pruning ??= (async () => {
      const settings = this.f.config.value.run;
      const days = settings.retentionDays;
      try {
        const deleted = await pruneRunStorage(ownStorage(this.f.context.globalStorageUri.fsPath, settings), Date.now(), days);
        if (deleted.length) this.f.log.info(`deleted ${deleted.length} event log(s) and hook event file(s) older than ${days} days: ${deleted.join(', ')}`);
      } catch (e) {
        this.f.log.warn(`pruning old run files: ${e instanceof Error ? e.message : String(e)}`);
      }
    })().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  /** Stops a run of this window; false when it is not one (or has ended). */
  stop(rec: RunRecord): boolean {
    const e = this.terminals.get(rec.id);
    if (!e?.pty.running) return false;
    this.f.log.info(`stopping the run of ${rec.file} (pid ${rec.pid})`);
    e.pty.stop();
    return true;
  }

  /** Stops every run of this window (deactivation). Synchronous: a stop is a message to each run's watchdog. */
  stopAll(): void {
    for (const e of this.terminals.values()) e.pty.stop();
  }

  onTerminalClosed(t: vscode.Terminal): void {
    for (const e of this.terminals.values()) if (e.term === t) e.pty.stop();
  }

  dispose(): void {
    this.stopAll();
  }
}

export function registerRunFile(f: FeatureContext, runs: RunRegistry): RunFileCommand {
  const runner = new RunFileCommand(f, runs);
  // Old run files go after the store's first poll: off the activation path, once per window.
  const firstPoll = f.store.onDidChange(() => {
    firstPoll.dispose();
    void runner.prune();
  });
  f.context.subscriptions.push(
    runner,
    firstPoll,
    vscode.window.onDidCloseTerminal((t) => runner.onTerminalClosed(t)),
    vscode.commands.registerCommand(Command.RunFile, (uri?: vscode.Uri, options?: RunFileOptions) => runner.run(uri, options)),
  );
  return runner;
}
