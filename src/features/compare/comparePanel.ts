/**
 * "Spark: Compare Runs…" (F7): the host side of the comparison panel. Two applications, or two
 * groups of runs, from the palette (a quick pick of one or more for A, then for B), from the tree
 * (applications selected together, "Compare": two are A and B; more split by name, else the
 * person picks A's), or given by key (links, Measure Cache Impact, tests). The data is read once
 * when the panel opens (compareData.ts) and posted to the webview, which never touches the
 * network; exports are written here, to the clipboard or a file the person chooses.
 *
 * The webview saves which runs it compares (their store keys, roles and RIP labels); after a
 * window reload the serializer reopens the panel from that, and it reads the runs once the store
 * lists them (it starts empty), following a run listed under another key (model/appKey.ts). Each
 * panel owns its listeners: they go with it.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { FeatureContext } from '../../featureContext';
import { makeNonce } from '../../ui/webviewHtml';
import { compareHtml } from './compareHtml';
import { exportTable, ExportStatus } from './compareExport';
import { buildComparison, Comparison, RunData, Side } from './compareData';
import { resolveGroups } from './comparePick';
import { appIdOfKey, findApplication } from '../../model/appKey';
import { comparisonToCsv, comparisonToMarkdown, ripTableToMarkdown, stagesToMarkdown } from '../../model/compareTables';
import { IpcMessage, IpcMessageType, isMessage, parseMessage } from '../../shared/protocol';
import {
  COMPARE_FROM_WEBVIEW,
  CompareData,
  CompareDataMessage,
  CompareExportMessage,
  CompareReadyMessage,
  CompareSideState,
  CompareState,
  CompareStateMessage,
  CompareStatusMessage,
  CompareSwapMessage,
  isCompareState,
} from '../../shared/compareProtocol';

export const COMPARE_VIEW_TYPE = 'sparkObservatory.compare';

/** One side as the panel is asked for it: one application, or several runs of one variant. */
export type SideRequest = CompareSideState;
/** The two sides: also what the webview saves for the serializer. */
export type CompareRequest = CompareState;

/** One comparison panel. */
export class ComparePanel {
  private disposed = false;
  private ready = false;
  private loading: AbortController | undefined;
  /** What the panel holds while it is open: its webview's and the store's listeners. */
  private readonly subs: vscode.Disposable[] = [];
  /** The store's listener while a run is not listed yet (after a reload the store starts empty). */
  private waiting: vscode.Disposable | undefined;
  private comparison: Comparison | undefined;
  /** The last comparison posted: aggregates, rows, stages. */
  get result(): Comparison | undefined {
    return this.comparison;
  }
  /** What the panel was given last, for the extension's own tests. */
  lastData: CompareData | undefined;
  /** The text of the last export, for the extension's own tests. */
  lastExport: string | undefined;
  /** Resolves when the first data (or failure) has been posted. */
  readonly loaded: Promise<void>;
  private resolveLoaded!: () => void;

  constructor(
    private readonly f: FeatureContext,
    readonly panel: vscode.WebviewPanel,
    private request: CompareRequest,
  ) {
    this.loaded = new Promise((r) => (this.resolveLoaded = r));
    const root = vscode.Uri.joinPath(f.context.extensionUri, 'dist', 'webview');
    panel.iconPath = vscode.Uri.joinPath(f.context.extensionUri, 'media', 'spark.svg');
    const w = panel.webview;
    const uri = (file: string) => w.asWebviewUri(vscode.Uri.joinPath(root, file)).toString();
    w.html = compareHtml({
      cspSource: w.cspSource,
      nonce: makeNonce((n) => randomBytes(n)),
      scriptUri: uri('compare.js'),
      styleUri: uri('compare.css'),
      codiconUri: uri('codicon.css'),
    });
    this.subs.push(
      w.onDidReceiveMessage((m) => this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    // The data is read at once; the webview gets it when it says it is ready.
    void this.load();
  }

  /** The runs compared, by store key: what the webview saves for a reload. */
  get state(): CompareState {
    return this.request;
  }

  private post<P>(type: IpcMessageType<P>, params: P): void {
    if (!this.disposed) void this.panel.webview.postMessage(type.make(params));
  }

  private onMessage(raw: unknown): void {
    const msg: IpcMessage | undefined = parseMessage(COMPARE_FROM_WEBVIEW, raw);
    if (!msg) {
      this.f.log.warn(`compare: ignored a message that is not in the allow-list: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (isMessage(CompareReadyMessage, msg)) {
      this.ready = true;
      this.post(CompareStateMessage, this.request);
      this.sendCurrent();
    } else if (isMessage(CompareExportMessage, msg)) {
      void this.export(msg.params.format, msg.params.target);
    } else if (isMessage(CompareSwapMessage, msg)) {
      const l = this.request.ripLabels;
      this.setRequest({ a: this.request.b, b: this.request.a, ...(l ? { ripLabels: { a: l.b, b: l.a } } : {}) });
      void this.load();
    }
  }

  private status: { kind: 'busy' | 'info' | 'error'; text: string } = { kind: 'busy', text: 'Reading both runs…' };
  /** The status line shown, for the extension's own tests. */
  get statusText(): string {
    return this.status.text;
  }

  private sendCurrent(): void {
    if (!this.ready) return;
    if (this.lastData) this.post(CompareDataMessage, this.lastData);
    this.post(CompareStatusMessage, this.status);
  }

  private setStatus(kind: 'busy' | 'info' | 'error', text: string): void {
    this.status = { kind, text };
    if (this.ready) this.post(CompareStatusMessage, this.status);
  }

  private setRequest(request: CompareRequest): void {
    this.request = request;
    this.post(CompareStateMessage, request);
  }

  /**
   * The request with every key as the store lists it now (a run may be listed under another key
   * than the one kept), or the ids of the runs no source lists yet.
   */
  private resolve(): { request: CompareRequest } | { missing: string[] } {
    const entries = this.f.store.applications();
    const missing: string[] = [];
    const side = (s: SideRequest): SideRequest => ({
      ...s,
      keys: s.keys.map((k) => {
        const e = findApplication(entries, k);
        if (!e) missing.push(appIdOfKey(k));
        return e?.key ?? k;
      }),
    });
    const request = { a: side(this.request.a), b: side(this.request.b) };
    return missing.length ? { missing } : { request };
  }

  /** Reads both sides and posts the comparison; first waits for the store to list every run. */
  async load(): Promise<void> {
    this.loading?.abort();
    this.loading = undefined;
    const resolved = this.resolve();
    if ('missing' in resolved) {
      this.setStatus('busy', `Waiting for ${resolved.missing.join(' and ')} to be listed by a source…`);
      this.waiting ??= this.f.store.onDidChange(() => {
        if ('missing' in this.resolve()) return;
        this.stopWaiting();
        void this.load();
      });
      return;
    }
    this.stopWaiting();
    if (JSON.stringify(resolved.request) !== JSON.stringify(this.request)) this.setRequest(resolved.request);
    const ctl = new AbortController();
    this.loading = ctl;
    this.setStatus('busy', 'Reading both runs…');
    try {
      const store = this.f.store;
      const read = async (s: SideRequest): Promise<{ runs: RunData[]; role?: string }> => ({
        runs: await Promise.all(s.keys.map((k) => store.reads.run(k, ctl.signal))),
        role: s.role,
      });
      const [a, b] = await Promise.all([read(this.request.a), read(this.request.b)]);
      const scrape = this.f.config.value.prometheus.scrapeIntervalSeconds;
      // Overlays are optional: a Prometheus that cannot be read (a CA file gone) is a note, not a failed comparison.
      const overlay = await store.reads.overlays(a.runs[0], b.runs[0], { scrapeIntervalSeconds: scrape, signal: ctl.signal });
      if (ctl.signal.aborted) return;
      const c = buildComparison(a as Side, b as Side, overlay);
      this.comparison = c;
      this.lastData = c.data;
      this.panel.title = `Compare: ${c.data.a.name} ↔ ${c.data.b.name}`;
      this.status = { kind: 'info', text: '' };
      this.sendCurrent();
    } catch (e) {
      if (ctl.signal.aborted) return;
      const message = e instanceof Error ? e.message : String(e);
      this.f.log.warn(`compare: ${message}`);
      this.setStatus('error', `Could not compare: ${message}`);
    } finally {
      if (this.loading === ctl) this.loading = undefined;
      this.resolveLoaded();
    }
  }

  /** The table as Markdown (with the RIP table as the talk laid it out, and the stages) or CSV (metrics only). */
  exportText(format: 'markdown' | 'csv'): string | undefined {
    const c = this.comparison;
    if (!c) return undefined;
    if (format === 'csv') return comparisonToCsv(c.a, c.b, c.rows);
    const labels = this.request.ripLabels ?? { a: `A: ${c.data.a.name}`, b: `B: ${c.data.b.name}` };
    const runs = Math.max(c.data.a.runs, c.data.b.runs);
    return `${comparisonToMarkdown(c.a, c.b, c.rows)}\nRIP = (A − B) / A${runs > 1 ? `, of the medians of ${c.data.a.runs} and ${c.data.b.runs} runs` : ''}:\n\n` +
      `${ripTableToMarkdown(c.rows, labels)}\n${stagesToMarkdown(c.stages)}`;
  }

  /** Never rejects: a failed copy or write is an error status in the panel and a log line. `to` (tests) skips the dialog. */
  async export(format: 'markdown' | 'csv', target: 'clipboard' | 'file', to?: vscode.Uri): Promise<void> {
    const text = this.exportText(format);
    if (text === undefined) return;
    this.lastExport = text;
    const c = this.comparison!;
    const base = `spark-compare-${c.a.appId.split(',')[0]}-vs-${c.b.appId.split(',')[0]}`.replace(/[^\w.-]+/g, '_');
    const status = await exportTable(text, format, target, `${base}.${format === 'csv' ? 'csv' : 'md'}`, {
      copy: (t) => vscode.env.clipboard.writeText(t),
      pickFile: (name, f) => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        return to ? Promise.resolve(to) : vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
          filters: f === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
          saveLabel: `Save ${f === 'csv' ? 'CSV' : 'Markdown'}`,
        });
      },
      write: (uri, bytes) => vscode.workspace.fs.writeFile(uri, bytes),
      nameOf: (uri) => (uri.scheme === 'file' ? path.basename(uri.fsPath) : uri.toString()),
    });
    if (!status) return;
    if (status.kind === 'error') this.f.log.warn(`compare: ${status.text}`);
    this.lastExportStatus = status;
    this.setStatus(status.kind, status.text);
  }
  /** The status line of the last export, for the extension's own tests. */
  lastExportStatus: ExportStatus | undefined;

  private stopWaiting(): void {
    this.waiting?.dispose();
    this.waiting = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.loading?.abort();
    this.stopWaiting();
    for (const s of this.subs.splice(0)) s.dispose();
    this.resolveLoaded();
  }
}

export class CompareHost {
  /** Every open comparison panel. */
  readonly panels = new Set<ComparePanel>();

  constructor(private readonly f: FeatureContext) {}

  open(request: CompareRequest): ComparePanel {
    const name = (keys: readonly string[]) => {
      const e = keys[0] ? this.f.store.entry(keys[0]) : undefined;
      return e?.app.name || e?.app.id || (keys[0] ? appIdOfKey(keys[0]) : '?');
    };
    // The final title from the start (the store knows both names): the tab does not change under the person.
    const title = `Compare: ${name(request.a.keys)} ↔ ${name(request.b.keys)}`;
    return this.adopt(vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, vscode.ViewColumn.Active, this.webviewOptions()), request);
  }

  /** A panel VS Code restored after a reload, with the runs its webview saved. */
  revive(panel: vscode.WebviewPanel, state: CompareState): ComparePanel {
    panel.webview.options = this.webviewOptions();
    return this.adopt(panel, state);
  }

  private adopt(panel: vscode.WebviewPanel, request: CompareRequest): ComparePanel {
    const p = new ComparePanel(this.f, panel, request);
    this.panels.add(p);
    // Once: the panel's own listener of the same event goes with the panel.
    const sub = panel.onDidDispose(() => {
      sub.dispose();
      this.panels.delete(p);
    });
    return p;
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, enableCommandUris: false, localResourceRoots: [vscode.Uri.joinPath(this.f.context.extensionUri, 'dist', 'webview')] };
  }

  dispose(): void {
    for (const p of [...this.panels]) p.panel.dispose();
  }
}

/** Registers the command and the serializer; returns the host (Measure Cache Impact opens its panels through it). */
export function registerCompare(f: FeatureContext): CompareHost {
  const host = new CompareHost(f);
  f.context.subscriptions.push(
    host,
    vscode.commands.registerCommand(Command.CompareRuns, async (arg1?: unknown, arg2?: unknown) => {
      // Finished Run-File runs are listed by a History Server: the extension's own, where none reads them.
      if (arg1 === undefined) await vscode.commands.executeCommand(Command.EnsureHistoryServer).then(undefined, () => undefined);
      const groups = await resolveGroups(f.store, arg1, arg2);
      return groups ? host.open({ a: { keys: groups.a }, b: { keys: groups.b } }) : undefined;
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (isCompareState(state)) host.revive(panel, state);
        else panel.dispose(); // nothing to restore it to
      },
    }),
  );
  return host;
}
