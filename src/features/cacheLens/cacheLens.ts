/**
 * The cache CodeLens (F4): above every cache call of a Python file or notebook cell, what its
 * cached dataset measures now, or why there is nothing to show; a hover with the per-executor
 * distribution and the unified memory model; a click that reveals the dataset in the tree.
 *
 * Scanning and matching are model/ (cacheScanner, cacheMatcher, cacheLensState, appForFile,
 * cacheLensText); this file only reads the store, caches one scan per document version, and
 * watches the running applications while a visible Python editor has cache calls, so their
 * details are polled.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import type { FeatureContext } from '../../featureContext';
import type { ConfigSource } from '../../config';
import type { AppEntry, Store } from '../../store/store';
import { PythonScan, mightContainCacheCall, scanPythonSource } from '../../model/cacheScanner';
import type { CacheMatch } from '../../model/cacheMatcher';
import { cacheFigures } from '../../model/cacheLensState';
import { AppWithDetail, CallLens, fileLenses } from '../../model/fileLenses';
import { cacheLensText, distributionRows, figuresText, memoryExplanation } from '../../model/cacheLensText';
import { formatAge, formatBytes } from '../../model/format';
import { storageLevelName } from '../../model/appSummary';
import { SafeMarkdown } from '../../ui/markdown';
import { noIcons, pickItemText } from '../../ui/labels';
import type { RunRegistry } from '../../store/runs';


export const LENS_SELECTOR: vscode.DocumentSelector = [
  { language: 'python', scheme: 'file' },
  { language: 'python', scheme: 'untitled' },
  { language: 'python', scheme: 'vscode-notebook-cell' },
];

/** Lenses follow the store, but not faster than this: a poll can emit twice in a row. */
const DEBOUNCE_MS = 250;

interface ScanEntry {
  readonly version: number;
  /** undefined: no cache call possible (one cheap scan said so). */
  readonly scan?: PythonScan;
}

function isPython(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'python' && ['file', 'untitled', 'vscode-notebook-cell'].includes(doc.uri.scheme);
}

export class CacheLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly scans = new Map<string, ScanEntry>();
  /** The user's choices for ambiguous calls, per document: call line → rdd id, for one application. */
  private readonly picks = new Map<string, { appKey: string; byLine: Map<number, number> }>();
  private readonly watches = new Map<string, { dispose(): void }>();
  private readonly subs: { dispose(): void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private enabled: boolean;

  constructor(
    private readonly store: Store,
    private readonly runs: RunRegistry,
    config: ConfigSource,
    private readonly now: () => number = Date.now,
    private readonly log?: { warn(msg: string): void },
  ) {
    this.enabled = config.value.cacheLensEnabled;
    this.subs.push(
      store.onDidChange(() => {
        this.updateWatches();
        this.fireSoon();
      }),
      runs.onDidChange(() => this.fireSoon()),
      // Measure Cache Impact finished: its effect shows next to the call (issue 7).
      store.cacheImpacts.onDidChange(() => this.changed.fire()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.updateWatches()),
      vscode.workspace.onDidCloseTextDocument((d) => this.scans.delete(d.uri.toString())),
      config.onDidChange((c) => {
        if (c.cacheLensEnabled === this.enabled) return;
        this.enabled = c.cacheLensEnabled;
        this.updateWatches();
        this.changed.fire();
      }),
    );
    this.updateWatches();
  }

  // --- scanning ----------------------------------------------------------------------------

  /** The scan of a document's current version; a text without "cache"/"persist" costs one regex pass. */
  scan(doc: vscode.TextDocument): PythonScan | undefined {
    const key = doc.uri.toString();
    const hit = this.scans.get(key);
    if (hit && hit.version === doc.version) return hit.scan;
    const text = doc.getText();
    const scan = mightContainCacheCall(text) ? scanPythonSource(text) : undefined;
    const withSession = scan ?? (text.includes('getOrCreate') ? scanPythonSource(text) : undefined);
    this.scans.set(key, { version: doc.version, scan: withSession });
    return withSession;
  }

  // --- lenses ------------------------------------------------------------------------------

  provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): vscode.CodeLens[] {
    if (!this.enabled || !isPython(doc)) return [];
    const version = doc.version;
    const scan = this.scan(doc);
    // The document changed again while we scanned: VS Code asks anew, this answer is dropped.
    if (!scan || token.isCancellationRequested || doc.version !== version) return [];
    const lenses: vscode.CodeLens[] = [];
    if (scan.sessionCreationLine !== undefined && doc.uri.scheme === 'file') {
      const range = doc.lineAt(scan.sessionCreationLine).range;
      lenses.push(new vscode.CodeLens(range, {
        title: '▶ Run File with Observability',
        tooltip: 'spark-submit this file with Prometheus endpoints, the event log and the Spark Observatory hook',
        command: Command.RunFile,
        arguments: [doc.uri],
      }));
      // Two recorded runs of this file: the last one against the one before, in one click.
      const pair = this.runs.previousPair(doc.uri.fsPath);
      if (pair) {
        lenses.push(new vscode.CodeLens(range, {
          title: 'Compare with previous run',
          tooltip: `Compare Runs: ${pair.previous.appId} (run before) ↔ ${pair.current.appId} (last run)`,
          command: Command.CompareWithPreviousRun,
          arguments: [doc.uri, pair.current.appId],
        }));
      }
    }
    if (scan.calls.length === 0) return lenses;
    for (const l of this.callLenses(doc, scan)) {
      // The title carries Spark's storage level: `$(…)` in it is text, not an icon.
      const lens = cacheLensText(l.state);
      const text = { ...lens, title: noIcons(lens.title) };
      const range = new vscode.Range(l.call.line, l.call.character, l.call.line, Math.max(l.call.endCharacter, l.call.character));
      const command: vscode.Command =
        text.action === 'run'
          ? { title: text.title, tooltip: text.tooltip, command: Command.RunFile, arguments: doc.uri.scheme === 'file' ? [doc.uri] : [] }
          : text.action === 'pick' && l.appKey
            ? { title: text.title, tooltip: text.tooltip, command: Command.PickCachedDataset, arguments: [doc.uri.toString(), l.call.line, l.appKey, candidatesOf(l.match)] }
            : text.action === 'reveal' && l.appKey && l.dataset
              ? { title: text.title, tooltip: text.tooltip, command: Command.RevealCachedDataset, arguments: [l.appKey, l.dataset.rddId] }
              : { title: text.title, tooltip: text.tooltip, command: '' };
      lenses.push(new vscode.CodeLens(range, command));
      if (doc.uri.scheme === 'file' && l.call.kind !== 'sqlCacheTable') {
        // The last measured effect of this call (Measure Cache Impact), or the way to measure it.
        const impact = this.store.cacheImpacts.get(doc.uri.fsPath, l.call.line);
        lenses.push(new vscode.CodeLens(range, {
          title: impact ? impact.text : 'Measure impact',
          tooltip: impact
            ? `Measured ${formatAge(this.now() - impact.measuredAt)} with ${impact.runs} run(s) without and with this call. Click to measure again.`
            : 'Run this file without this cache call and with it (Run File with Observability), then compare the two runs.',
          command: Command.MeasureCacheImpact,
          arguments: [doc.uri, l.call.line],
        }));
      }
    }
    return lenses;
  }

  /** What each cache call of a document shows now. */
  callLenses(doc: vscode.TextDocument, scan: PythonScan): CallLens[] {
    const apps: AppWithDetail[] = this.store.applications().map((e) => {
      const d = this.store.detail(e.key);
      return {
        key: e.key, app: e.app, sourceUrl: this.store.source(e.sourceId)?.config.url,
        cachedDatasets: d?.detail.cachedDatasets, jobs: d?.detail.jobs,
        detail: d?.detail, stale: e.stale || !!d?.stale, fetchedAt: d?.fetchedAt,
      };
    });
    const uri = doc.uri.toString();
    const pick = this.picks.get(uri);
    return fileLenses({
      filePath: doc.uri.fsPath, text: doc.getText(), scan, apps, runs: this.runs.facts(),
      picks: pick?.byLine, pickedFor: pick?.appKey, now: this.now(),
    }).lenses;
  }

  // --- hover -------------------------------------------------------------------------------

  provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): vscode.Hover | undefined {
    try {
      return this.hover(doc, pos, token);
    } catch (e) {
      // VS Code drops a provider's exception without a word: say it once in the log.
      this.log?.warn(`cache lens hover failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return undefined;
    }
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): vscode.Hover | undefined {
    if (!this.enabled || !isPython(doc)) return undefined;
    const scan = this.scan(doc);
    if (!scan || token.isCancellationRequested) return undefined;
    // The receiver and the call: `df1.cache()` from its first character to the closing parenthesis.
    const start = doc.lineAt(pos.line).firstNonWhitespaceCharacterIndex;
    const call = scan.calls.find((c) => c.line === pos.line && pos.character >= Math.min(start, c.character) && pos.character <= Math.max(c.endCharacter, c.character + 1));
    if (!call) return undefined;
    const l = this.callLenses(doc, scan).find((x) => x.call === call);
    if (!l) return undefined;
    const md = this.hoverMarkdown(l);
    return new vscode.Hover(md.md, new vscode.Range(call.line, Math.min(start, call.character), call.line, Math.max(call.endCharacter, call.character)));
  }

  private hoverMarkdown(l: CallLens): SafeMarkdown {
    const text = cacheLensText(l.state);
    const md = new SafeMarkdown().heading(`Cached dataset: ${text.title}`);
    md.text(text.tooltip);
    md.rule();
    const entry = l.appKey ? this.store.entry(l.appKey) : undefined;
    const detail = l.appKey ? this.store.detail(l.appKey) : undefined;
    if (entry) md.field('Application', `${entry.app.name} (${entry.app.id}, ${entry.app.state})`);
    if (detail?.fetchedAt) md.field('Measured', formatAge(this.now() - detail.fetchedAt));
    if (l.state.kind === 'measured' && l.state.confidence === 'estimated') md.field('Estimated', l.state.reason);
    if (l.state.kind === 'ambiguous') {
      for (const c of l.state.candidates) md.field(`Candidate rdd ${c.rddId}`, figuresText(c));
    }
    if (l.dataset) {
      md.field('RDD id', String(l.dataset.rddId)).field('Storage level', `${storageLevelName(l.dataset.storageLevel)} (${l.dataset.storageLevel})`);
      const rows = distributionRows(l.dataset);
      if (rows.length > 0) {
        md.rule().heading('Where it is cached (per executor)');
        for (const r of rows) md.field(r.label, r.value);
      }
    }
    const d = detail?.detail;
    if (d?.executors) {
      const ex = memoryExplanation(d.environment?.sparkProperties ?? {}, d.executors);
      md.rule().heading(`Unified memory model (${ex.role === 'driver' ? 'local mode: the driver is the executor' : 'per executor'})`);
      for (const r of ex.rows) md.field(r.label, r.value);
      if (l.dataset && l.state.kind === 'measured') {
        const f = cacheFigures(l.dataset, d.executors);
        md.field('This dataset', `${formatBytes(f.memoryUsed)} in memory of ${formatBytes(ex.model.unifiedBytes)} unified per ${ex.role}`);
      }
    }
    if (l.dataset) md.rule().code(l.dataset.name, 1500);
    return md;
  }

  // --- watching ----------------------------------------------------------------------------

  /** While a visible Python editor has cache calls, the running applications' details are polled. */
  updateWatches(): void {
    const wanted = new Set<string>();
    if (this.enabled && vscode.window.visibleTextEditors.some((e) => isPython(e.document) && (this.scan(e.document)?.calls.length ?? 0) > 0)) {
      for (const e of this.store.applications()) if (watchable(e)) wanted.add(e.key);
    }
    for (const [key, w] of this.watches) {
      if (!wanted.has(key)) {
        w.dispose();
        this.watches.delete(key);
      }
    }
    // Live: the lenses show figures as a running job changes them, Spark view open or not.
    for (const key of wanted) if (!this.watches.has(key)) this.watches.set(key, this.store.watch(key, { live: true, parts: ['storage', 'jobs', 'stages', 'executors', 'environment'] }));
  }

  watchedKeys(): string[] {
    return [...this.watches.keys()];
  }

  pick(uri: string, line: number, appKey: string, rddId: number): void {
    const cur = this.picks.get(uri);
    const byLine = cur && cur.appKey === appKey ? cur.byLine : new Map<number, number>();
    byLine.set(line, rddId);
    this.picks.set(uri, { appKey, byLine });
    this.changed.fire();
  }

  private fireSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    for (const w of this.watches.values()) w.dispose();
    this.watches.clear();
    this.changed.dispose();
  }
}

function watchable(e: AppEntry): boolean {
  return e.app.state === 'running' && (e.via === 'driver' || e.via === 'history');
}

function candidatesOf(m: CacheMatch | undefined): number[] {
  return m?.kind === 'ambiguous' ? m.candidates.map((d) => d.rddId) : [];
}

async function pickDataset(store: Store, lens: CacheLensProvider, uri: string, line: number, appKey: string, rddIds: number[]): Promise<void> {
  const datasets = (store.detail(appKey)?.detail.cachedDatasets ?? []).filter((d) => rddIds.includes(d.rddId));
  const executors = store.detail(appKey)?.detail.executors;
  const items = datasets.map((d) => pickItemText({
    label: `rdd ${d.rddId}`,
    description: figuresText(cacheFigures(d, executors)),
    detail: d.name.split('\n', 1)[0].slice(0, 200),
    rddId: d.rddId,
  }));
  if (items.length === 0) return;
  const chosen = await vscode.window.showQuickPick(items, { title: 'Which cached dataset does this call make?', matchOnDetail: true });
  if (chosen) lens.pick(uri, line, appKey, chosen.rddId);
}

export function register(f: FeatureContext): CacheLensProvider {
  const lens = new CacheLensProvider(f.store, f.store.runs, f.config, Date.now, f.log);
  f.context.subscriptions.push(
    lens,
    vscode.languages.registerCodeLensProvider(LENS_SELECTOR, lens),
    vscode.languages.registerHoverProvider(LENS_SELECTOR, lens),
    vscode.commands.registerCommand(Command.PickCachedDataset, (uri: string, line: number, appKey: string, rddIds: number[]) => pickDataset(f.store, lens, uri, line, appKey, rddIds)),
  );
  return lens;
}
