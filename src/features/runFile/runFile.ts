/**
 * "Run File with Observability" (F5): runs a PySpark file with spark-submit, the hook and
 * everything the other features read, in a terminal the user sees. The command line comes from
 * launcher/submitCommand.ts (the integration tests run the same); this file only finds the
 * pieces (spark-submit, a free UI port, folders), shows the output and records the run.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureContext } from '../../featureContext';
import { buildSubmitCommand, commandLine, SubmitCommand } from '../../launcher/submitCommand';
import { findSparkSubmit } from '../../launcher/sparkSubmit';
import { anyFreePort, firstFreePort } from '../../launcher/freePort';
import { runEventLogDir } from '../../launcher/runPaths';
import type { RunRecord, RunRegistry } from '../../store/runs';
import type { Config } from '../../config';
import { pruneRunStorage, RunStorage } from './retention';


/** What a caller (a lens, issue 7's Measure Cache Impact, a test) may add to a run. */
export interface RunFileOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Cache calls to switch off, lines 1-based. */
  readonly disableCacheAt?: readonly { readonly file: string; readonly line: number }[];
  readonly appName?: string;
  /** Do not focus the terminal (tests, background comparisons). */
  readonly preserveFocus?: boolean;
}

/** The interpreter of the selected Python environment: the Python extension's API, else the setting, else python3. */
async function selectedPython(resource: vscode.Uri): Promise<string> {
  const ext = vscode.extensions.getExtension<{
    environments?: { getActiveEnvironmentPath(r?: vscode.Uri): { path: string } };
    settings?: { getExecutionDetails(r?: vscode.Uri): { execCommand?: string[] } };
  }>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const p = api?.environments?.getActiveEnvironmentPath(resource)?.path ?? api?.settings?.getExecutionDetails(resource)?.execCommand?.[0];
      if (p) return p;
    } catch {
      // The Python extension is optional; fall through to the setting.
    }
  }
  const setting = vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath', '');
  return setting && setting !== 'python' ? setting : 'python3';
}

const UI_BOUND = /Successfully started service '?SparkUI'? on port (\d+)/;

/** A terminal that shows a spark-submit run: its output, its exit code; Ctrl+C and closing stop it. */
class RunTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.write.event;
  private opened = false;
  private buffered: string[] = [];
  private child: ChildProcess | undefined;
  private tail = '';

  constructor(
    private readonly cmd: SubmitCommand,
    private readonly cwd: string,
    private readonly onLine: (line: string) => void,
    private readonly onExit: (code: number | null) => void,
  ) {}

  /** Starts at once (open() may come later, or never for a hidden terminal). */
  start(): number | undefined {
    this.out(`\x1b[2m$ ${commandLine(this.cmd)}\x1b[0m\r\n`);
    const child = spawn(this.cmd.command, [...this.cmd.args], {
      cwd: this.cwd,
      env: { ...process.env, ...this.cmd.env },
      // Its own process group: stopping the run stops the JVM and the Python driver together.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (d: Buffer) => {
      const text = d.toString();
      this.out(text.replace(/\r?\n/g, '\r\n'));
      const lines = (this.tail + text).split('\n');
      this.tail = lines.pop() ?? '';
      for (const l of lines) this.onLine(l);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (e) => this.out(`\r\n[spark-observatory] could not start spark-submit: ${e.message}\r\n`));
    child.on('close', (code, signal) => {
      this.out(`\r\n\x1b[2m[spark-observatory] spark-submit ended: ${signal ? `signal ${signal}` : `exit code ${code}`}\x1b[0m\r\n`);
      this.child = undefined;
      this.onExit(code);
    });
    return child.pid;
  }

  open(): void {
    this.opened = true;
    for (const b of this.buffered) this.write.fire(b);
    this.buffered = [];
  }

  close(): void {
    this.stop();
  }

  handleInput(data: string): void {
    if (data === '\x03') this.signal('SIGINT');
  }

  stop(): void {
    if (!this.child) return;
    this.signal('SIGTERM');
    const c = this.child;
    setTimeout(() => {
      if (c.exitCode === null && c.signalCode === null) this.signal('SIGKILL', c);
    }, 15_000).unref();
  }

  private signal(sig: NodeJS.Signals, c = this.child): void {
    if (!c?.pid) return;
    try {
      process.kill(-c.pid, sig);
    } catch {
      try {
        c.kill(sig);
      } catch {
        /* gone */
      }
    }
  }

  private out(s: string): void {
    if (this.opened) this.write.fire(s);
    else this.buffered.push(s);
  }
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
  private readonly terminals = new Set<{ term: vscode.Terminal; pty: RunTerminal }>();
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
    const python = await selectedPython(uri);
    const found = await findSparkSubmit({ setting: cfg.sparkSubmitPath, pathEnv: process.env.PATH, sparkHome: process.env.SPARK_HOME, python });
    if ('error' in found) {
      this.f.log.warn(found.error);
      void vscode.window.showErrorMessage(found.error);
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
    this.f.log.info(`run ${uri.fsPath} with ${found.path} (found via ${found.via}): ${commandLine(cmd)}`);

    // Filled right after the process starts; its output callbacks only fire later.
    const run: { rec?: RunRecord } = {};
    const refreshSoon = () => {
      // The REST API lists the application shortly after the UI binds.
      void this.f.store.refresh();
      for (const ms of [1500, 4000]) setTimeout(() => void this.f.store.refresh(), ms).unref();
    };
    const pty = new RunTerminal(
      cmd,
      path.dirname(uri.fsPath),
      (line) => {
        const m = UI_BOUND.exec(line);
        if (m && run.rec && !run.rec.boundUiUrl) {
          this.runs.update(run.rec, { boundUiUrl: `http://127.0.0.1:${m[1]}` });
          refreshSoon();
        }
      },
      (code) => {
        if (run.rec) this.runs.update(run.rec, { exitCode: code });
        void this.f.store.refresh();
        // The run stays in the tree, comparable, with its hints: a History Server over its event
        // log is needed now (the extension starts Spark's own where none reads the folder).
        void vscode.commands.executeCommand(Command.EnsureHistoryServer, { sparkSubmit: found.path }).then(undefined, (e: unknown) => this.f.log.warn(`History Server: ${String(e)}`));
        void this.prune();
      },
    );
    const pid = pty.start();
    const rec = this.runs.add({ file: uri.fsPath, uiUrl: cmd.uiUrl, startedAt, master: settings.master, pid, eventsFile, commandLine: commandLine(cmd) });
    run.rec = rec;
    const term = vscode.window.createTerminal({ name: `Spark: ${path.basename(uri.fsPath)}`, pty, iconPath: new vscode.ThemeIcon('zap') });
    const entry = { term, pty };
    this.terminals.add(entry);
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

  onTerminalClosed(t: vscode.Terminal): void {
    for (const e of this.terminals) {
      if (e.term === t) {
        e.pty.stop();
        this.terminals.delete(e);
      }
    }
  }

  dispose(): void {
    for (const e of this.terminals) e.pty.stop();
    this.terminals.clear();
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
