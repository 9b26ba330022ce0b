/**
 * Inline hints and findings (F6): after each action line that ran, what it cost (an `after`
 * decoration in theme colours); a hover with its stages and links to their Spark UI pages; and
 * the findings of model/rules as 'Spark' diagnostics on the lines that caused them, linked to the
 * Spark UI page of their evidence (findingViews.ts).
 *
 * Jobs and stages reach lines through their call sites (callSite.ts); the driver's path is
 * matched to the workspace's Python files, listed once and again when files come and go. Each
 * file shows one run: the newest application with lines in it. While it runs its hints follow
 * the store (live watches: the store polls at the refresh interval); when it ends they stay,
 * dimmed, until a newer run of the file or "Clear Inline Hints". All Spark semantics live in
 * model/ (callSite.ts, rules/, lineHints.ts); this file reads the store and draws.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import type { FeatureContext } from '../../featureContext';
import type { Config, ConfigHolder } from '../../config';
import type { Store } from '../../store/store';
import { summariseJobsByLine, type LineSummary, type PathMapping } from '../../model/callSite';
import { findSparkSessionCreation } from '../../model/cacheScanner';
import { sameFile } from '../../model/cacheMatcher';
import { applicationsForFile } from '../../model/appForFile';
import { appAnchor, DriverPathMapper, findingsForApp, hintText, linesByFile, placeFindings, replacesRun, type PlacedFinding } from '../../model/lineHints';
import type { RuleId } from '../../model/rules';
import type { Stage } from '../../model/types';
import { findingDiagnostic, hoverMarkdown, type ShownRun } from './findingViews';
import { ChangeKeys, DetailKey, parseChangeKey } from '../../store/changes';

/** The lists hints and findings are made of. */
const HINT_PARTS: ReadonlySet<DetailKey> = new Set(['jobs', 'stages', 'executors', 'environment', 'taskSummaries']);

/** Hints follow the store, but not faster than this: a poll can emit twice in a row. */
const DEBOUNCE_MS = 250;
const PY_GLOB = '**/*.py';
const PY_EXCLUDE = '**/{node_modules,.git,.venv,venv,__pycache__,.run,out,dist}/**';
const MAX_WORKSPACE_FILES = 20_000;

const SELECTOR: vscode.DocumentSelector = [{ language: 'python', scheme: 'file' }];

/** The run a file shows: the last figures seen of one application's lines in it. */
interface FileRun extends ShownRun {
  readonly appKey: string;
  readonly startTime?: number;
  running: boolean;
  readonly lines: readonly LineSummary[];
  /** The stage attempts of those lines, for the hover. */
  readonly stages: readonly Stage[];
  readonly findings: readonly PlacedFinding[];
}

interface Settings {
  readonly hints: boolean;
  readonly findings: boolean;
  readonly disabledRules: readonly RuleId[];
  readonly mappings: readonly PathMapping[];
}

function settingsOf(c: Config): Settings {
  return { hints: c.inlineHintsEnabled, findings: c.findingsEnabled, disabledRules: c.disabledRules, mappings: c.pathMappings };
}

function isPythonFile(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'python' && doc.uri.scheme === 'file';
}

export class InlineHints implements vscode.HoverProvider, vscode.Disposable {
  private readonly runs = new Map<string, FileRun>();
  /** Ids of the applications the user cleared: their hints do not come back, from any source (a new run does). */
  private readonly cleared = new Set<string>();
  /** Files whose ended runs no source listed: a History Server was asked for, once. */
  private readonly historyAsked = new Set<string>();
  private readonly watches = new Map<string, { readonly live: boolean; readonly handle: { dispose(): void } }>();
  private readonly sessionLines = new Map<string, { appKey: string; line: number | undefined }>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('Spark');
  private readonly subs: vscode.Disposable[] = [];
  private settings: Settings;
  private workspaceFiles: string[] = [];
  private mapper = new DriverPathMapper([]);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listing: ReturnType<typeof setTimeout> | undefined;
  // Three types while the application runs, three dimmed ones after it ended: the hint's main
  // part, its warnings (spill, failed tasks) in the warning colour, and the rest. All sit at the
  // line's end; VS Code draws them in the order the types were created.
  // One decoration per line: Monaco does not keep the order of several texts injected at one
  // line end (a clean-clone UI run showed the parts reordered between polls), so a hint is one
  // text, in the warning colour when it reports spill or failed tasks. After the run: dimmed,
  // italic, all alike; the findings stay in the Problems panel with their own severity.
  private readonly live = decorationType('editorCodeLens.foreground', false);
  private readonly liveWarn = decorationType('editorWarning.foreground', false);
  private readonly dim = decorationType('disabledForeground', true);

  constructor(
    private readonly store: Store,
    private readonly log: vscode.LogOutputChannel,
    private readonly config: ConfigHolder,
    private readonly now: () => number = Date.now,
  ) {
    this.settings = settingsOf(config.value);
    const files = vscode.workspace.createFileSystemWatcher(PY_GLOB, false, false, false);
    this.subs.push(
      this.diagnostics,
      files,
      files.onDidCreate(() => this.listSoon()),
      files.onDidDelete(() => this.listSoon()),
      store.onDidChange((keys) => this.updateSoon(keys)),
      vscode.workspace.onDidChangeTextDocument((e) => this.texts.delete(e.document.uri.fsPath)),
      files.onDidChange((u) => this.texts.delete(u.fsPath)),
      vscode.window.onDidChangeVisibleTextEditors(() => {
        this.updateWatches();
        this.render();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.listSoon()),
      config.onDidChange((c) => {
        const before = this.settings;
        this.settings = settingsOf(c);
        if (JSON.stringify(before.mappings) !== JSON.stringify(this.settings.mappings)) this.rebuildMapper();
        this.updateWatches();
        this.update();
      }),
    );
    void this.listWorkspaceFiles();
    this.updateWatches();
  }

  // --- the workspace's Python files ------------------------------------------------------------

  /** Once at start and when .py files are created or deleted: never per poll. */
  private async listWorkspaceFiles(): Promise<void> {
    try {
      const uris = await vscode.workspace.findFiles(PY_GLOB, PY_EXCLUDE, MAX_WORKSPACE_FILES);
      this.workspaceFiles = uris.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
    } catch (e) {
      this.log.warn(`inline hints: listing the workspace's Python files failed: ${String(e)}`);
    }
    this.rebuildMapper();
    this.update();
  }

  private listSoon(): void {
    if (this.listing) clearTimeout(this.listing);
    this.listing = setTimeout(() => {
      this.listing = undefined;
      void this.listWorkspaceFiles();
    }, 500);
  }

  /** Workspace files, plus open Python files outside the workspace (a file opened on its own). */
  private rebuildMapper(): void {
    const open = vscode.workspace.textDocuments.filter(isPythonFile).map((d) => d.uri.fsPath);
    this.mapper = new DriverPathMapper([...new Set([...this.workspaceFiles, ...open])], this.settings.mappings);
  }

  // --- from the store to runs ------------------------------------------------------------------

  /** Applications whose lists changed since the last update; undefined: all of them. */
  private dirty: Set<string> | undefined = new Set();

  private updateSoon(keys: ReadonlySet<string>): void {
    for (const key of keys) {
      // Runs too: the run history, read after activation, says which files ran as which applications.
      if (key === ChangeKeys.apps || key === ChangeKeys.sources || key === ChangeKeys.runs) this.dirty = undefined;
      const k = parseChangeKey(key);
      if (k && this.dirty && (k.part === undefined || HINT_PARTS.has(k.part))) this.dirty.add(k.appKey);
    }
    if (this.timer || this.dirty?.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update(false);
    }, DEBOUNCE_MS);
  }

  /** Reads the applications whose lists changed (all of them when asked directly), updates their runs, redraws. */
  update(all = true): void {
    const dirty = all ? undefined : this.dirty;
    this.dirty = new Set();
    if (vscode.workspace.textDocuments.some((d) => isPythonFile(d) && !this.knows(d.uri.fsPath))) this.rebuildMapper();
    const now = this.now();
    const entries = new Map(this.store.applications().map((e) => [e.key, e]));
    for (const e of entries.values()) {
      if (dirty && !dirty.has(e.key)) continue;
      const state = this.store.detail(e.key);
      const d = state?.detail;
      if (!d?.jobs || !d.stages) continue;
      // Running jobs' times on the driver's clock, like their submission times.
      const summary = summariseJobsByLine(d.jobs, d.stages, now + (e.clockOffsetMs ?? 0));
      const mapPath = (p: string) => this.mapper.map(p);
      const { files } = linesByFile(summary.lines, mapPath);
      if (files.length === 0) continue;
      const workers = this.store.groups().find((g) => g.name === e.group)?.master?.workers;
      const anchor = appAnchor(files, (file) => this.sessionLine(file, e.key));
      const findings = findingsForApp(d, { workers }, { app: e.app, now, disabled: this.settings.disabledRules });
      const { placed } = placeFindings({ findings, mapPath, anchor, executors: d.executors, cachedDatasets: d.cachedDatasets });
      const source = this.store.source(e.sourceId);
      const ui = source ? { baseUrl: source.config.url, via: e.via, app: { id: e.app.id, attemptId: e.app.attemptId } } : undefined;
      const names = new Set([...files.map((f) => f.file), ...placed.map((p) => p.file)]);
      for (const file of names) {
        const lines = files.find((f) => f.file === file)?.lines ?? [];
        const ids = new Set(lines.flatMap((l) => l.stageIds));
        const run: FileRun = {
          appKey: e.key, appName: e.app.name, appId: e.app.id, startTime: e.app.startTime, running: e.app.state === 'running',
          lines, stages: d.stages.filter((s) => ids.has(s.stageId)), findings: placed.filter((p) => p.file === file),
          fetchedAt: state?.fetchedAt, ui,
        };
        if (replacesRun(this.runs.get(file), run, this.cleared)) this.runs.set(file, run);
      }
    }
    // An application that ended, or left the store with its driver, keeps its last hints, dimmed.
    for (const run of this.runs.values()) {
      const e = entries.get(run.appKey);
      run.running = !!e && e.app.state === 'running';
    }
    this.updateWatches();
    this.render();
  }

  private knows(file: string): boolean {
    return this.mapper.map(file) === file;
  }

  /** 1-based line creating the SparkSession in a file, read once per file and run. */
  private sessionLine(file: string, appKey: string): number | undefined {
    const hit = this.sessionLines.get(file);
    if (hit && hit.appKey === appKey) return hit.line;
    const text = this.textOf(file);
    const l = text === undefined ? undefined : findSparkSessionCreation(text);
    const line = l === undefined ? undefined : l + 1;
    this.sessionLines.set(file, { appKey, line });
    return line;
  }

  /** A file's text: the open document's, else the file's, read once until it changes. */
  private textOf(file: string): string | undefined {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    if (doc) return doc.getText();
    if (!this.texts.has(file)) {
      try {
        this.texts.set(file, readFileSync(file, 'utf8'));
      } catch {
        this.texts.set(file, undefined);
      }
    }
    return this.texts.get(file);
  }
  private readonly texts = new Map<string, string | undefined>();

  // --- drawing ---------------------------------------------------------------------------------

  render(): void {
    for (const editor of vscode.window.visibleTextEditors) this.renderEditor(editor);
    this.renderDiagnostics();
  }

  private renderEditor(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const run = isPythonFile(doc) && this.settings.hints ? this.runs.get(doc.uri.fsPath) : undefined;
    const plain: vscode.DecorationOptions[] = [];
    const warned: vscode.DecorationOptions[] = [];
    for (const l of run?.lines ?? []) {
      if (l.line < 1 || l.line > doc.lineCount) continue;
      const end = doc.lineAt(l.line - 1).range.end;
      const text = hintText(l);
      (text.warning ? warned : plain).push({
        range: new vscode.Range(end, end),
        renderOptions: { after: { contentText: `${text.main}${text.warning ?? ''}${text.tail ?? ''}` } },
      });
    }
    const liveNow = !!run?.running;
    editor.setDecorations(this.live, liveNow ? plain : []);
    editor.setDecorations(this.liveWarn, liveNow ? warned : []);
    editor.setDecorations(this.dim, liveNow ? [] : [...plain, ...warned]);
  }

  private renderDiagnostics(): void {
    this.diagnostics.clear();
    if (!this.settings.findings) return;
    for (const [file, run] of this.runs) {
      if (run.findings.length === 0) continue;
      const text = this.textOf(file);
      const lines = text?.split('\n');
      // Rules switched off since the run was read drop out here too (an ended run is not read again).
      const off = new Set(this.settings.disabledRules);
      const diags = run.findings.filter((p) => !off.has(p.finding.rule)).map((p) => findingDiagnostic(p, lines, run));
      this.diagnostics.set(vscode.Uri.file(file), diags);
    }
  }

  // --- hover -----------------------------------------------------------------------------------

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!this.settings.hints || !isPythonFile(doc)) return undefined;
    const run = this.runs.get(doc.uri.fsPath);
    const l = run?.lines.find((x) => x.line - 1 === pos.line);
    if (!run || !l) return undefined;
    const off = new Set(this.settings.disabledRules);
    const shown = { ...run, findings: run.findings.filter((p) => !off.has(p.finding.rule)) };
    return new vscode.Hover(hoverMarkdown(shown, l, this.now(), this.store.runs.previousPair(doc.uri.fsPath, run.appId) ? { file: doc.uri.toString() } : undefined).md, doc.lineAt(pos.line).range);
  }

  // --- watching --------------------------------------------------------------------------------

  /**
   * While a Python file is visible: live watches on the running applications (their jobs carry
   * the call sites that say which file they run), and plain watches on the applications whose
   * hints a visible file shows, so their last state is read once more when they end.
   */
  updateWatches(): void {
    const wanted = new Map<string, boolean>();
    const visible = vscode.window.visibleTextEditors.filter((e) => isPythonFile(e.document));
    if (this.settings.hints || this.settings.findings) {
      if (visible.length > 0) {
        for (const e of this.store.applications()) {
          if (e.app.state === 'running' && (e.via === 'driver' || e.via === 'history')) wanted.set(e.key, true);
        }
      }
      for (const ed of visible) {
        const run = this.runs.get(ed.document.uri.fsPath);
        if (run && this.store.entry(run.appKey) && !wanted.has(run.appKey)) wanted.set(run.appKey, false);
        const last = run ? undefined : this.lastFinishedRun(ed.document.uri.fsPath);
        if (last && !wanted.has(last)) wanted.set(last, false);
      }
    }
    for (const [key, w] of this.watches) {
      if (wanted.get(key) !== w.live) {
        w.handle.dispose();
        this.watches.delete(key);
      }
    }
    for (const [key, live] of wanted) {
      if (!this.watches.has(key)) this.watches.set(key, { live, handle: this.store.watch(key, { live, parts: ['jobs', 'stages', 'executors', 'environment'] }) });
    }
  }

  /**
   * A visible file without hints: the application of its last Run-File run (this window's or one
   * the run history recorded), when it has ended and a source still lists it, so a new window
   * shows that run's hints too (dimmed), read once. Undefined otherwise.
   */
  private lastFinishedRun(file: string): string | undefined {
    const runs = this.store.runs.facts().filter((r) => sameFile(r.file, file));
    if (runs.length === 0) return undefined;
    const apps = this.store.applications().map((e) => ({ key: e.key, app: e.app, sourceUrl: this.store.source(e.sourceId)?.config.url }));
    const best = applicationsForFile(file, apps, runs)[0];
    if (!best) {
      // Runs of it ended, and no source lists them (a new window: our History Server stopped
      // with the last one): ask for one over the Run-File folder, once per file and window.
      if (this.store.runs.running().length === 0 && !this.historyAsked.has(file)) {
        this.historyAsked.add(file);
        this.log.info(`${runs.length} recorded run(s) of ${file}, none listed by a source: asking for a History Server over the Run-File folder`);
        void vscode.commands.executeCommand(Command.EnsureHistoryServer).then(undefined, (e: unknown) => this.log.warn(`History Server for ${file}'s runs: ${String(e)}`));
      }
      return undefined;
    }
    const e = best.evidence === 'run' ? this.store.entry(best.key) : undefined;
    return e && e.app.state === 'completed' && !this.cleared.has(e.app.id) ? e.key : undefined;
  }

  // --- commands --------------------------------------------------------------------------------

  /** Hides every hint and finding shown now; the next run of a file brings its own. */
  clear(): void {
    for (const run of this.runs.values()) this.cleared.add(run.appId);
    this.runs.clear();
    this.render();
    this.updateWatches();
  }

  async toggle(): Promise<void> {
    await this.config.update('inlineHints.enabled', !this.settings.hints);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.listing) clearTimeout(this.listing);
    for (const s of this.subs) s.dispose();
    for (const w of this.watches.values()) w.handle.dispose();
    this.watches.clear();
    for (const t of [this.live, this.liveWarn, this.dim]) t.dispose();
  }
}

export function register(f: FeatureContext): void {
  const hints = new InlineHints(f.store, f.log, f.config);
  f.context.subscriptions.push(
    hints,
    vscode.languages.registerHoverProvider(SELECTOR, hints),
    vscode.commands.registerCommand(Command.ToggleInlineHints, () => hints.toggle()),
    vscode.commands.registerCommand(Command.ClearInlineHints, () => hints.clear()),
  );
}

function decorationType(color: string, dimmed: boolean): vscode.TextEditorDecorationType {
  return vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor(color), margin: '0 0 0 3em', fontStyle: dimmed ? 'italic' : undefined },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
}
