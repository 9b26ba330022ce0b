/**
 * One application's Prometheus dashboard (F3), host side: a webview panel opened from the palette
 * or from an application in the tree, restored after a reload by the serializer (dashboardHost.ts;
 * no retainContextWhenHidden: the webview persists its own small state and the host resends
 * data). The store reads the data (store/dashboardFeed.ts: Prometheus where it has the
 * application, else the store's built-in series, each panel naming its source); the panel posts
 * what the feed publishes, and the webview never touches the network.
 *
 * The panel follows its application in the store, not a timer: until a source lists it (after a
 * reload the store starts empty) the panel says so and waits for the store's change events; it
 * follows the application to another key when the store lists it there (model/appKey.ts).
 * Refresh follows the store's discipline: one loop per panel, a timer only while the panel is
 * visible and the window focused, work in flight cancelled when it hides.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config';
import type { AppEntry } from '../../store/store';
import type { DashboardHost } from './dashboardHost';
import { appIdOfKey, findApplication } from '../../model/appKey';
import { dashboardHtml } from './dashboardHtml';
import { makeNonce } from '../../ui/webviewHtml';
import { prometheusLinkFor, timeWindow } from '../../store/dashboardReads';
import { dashboardApp, DashboardFeed, FeedSnapshot, WAITING } from '../../store/dashboardFeed';
import { PANELS } from '../../model/promql';
import {
  CustomResultMessage,
  DASHBOARD_FROM_WEBVIEW,
  DashboardState,
  DataMessage,
  DataParams,
  InitMessage,
  IpcMessage,
  IpcMessageType,
  isMessage,
  OpenInPrometheusMessage,
  parseMessage,
  ReadyMessage,
  RefreshMessage,
  ResizeMessage,
  RunQueryMessage,
  SetRangeMessage,
} from '../../shared/protocol';


export function titleOf(entry: AppEntry | undefined, fallback = 'application'): string {
  return `Spark: ${entry?.app.name || entry?.app.id || fallback}`;
}

/** One application's dashboard. */
export class DashboardPanel {
  private state: DashboardState;
  private widths: Record<string, number> = {};
  private ready = false;
  private disposed = false;
  /** The store reads the dashboard's data; the panel posts what it publishes. */
  private readonly feed: DashboardFeed;
  /** `sparkObservatory.prometheus.*`, read from the one settings snapshot. */
  private get settings(): Config['prometheus'] {
    return this.host.f.config.value.prometheus;
  }
  private readonly subs: vscode.Disposable[] = [];
  /** What the last refresh posted, for the extension's own tests. */
  lastData: DataParams | undefined;

  constructor(
    private readonly host: DashboardHost,
    readonly panel: vscode.WebviewPanel,
    state: DashboardState,
  ) {
    this.state = state;
    panel.iconPath = vscode.Uri.joinPath(host.f.context.extensionUri, 'media', 'spark.svg');
    const w = panel.webview;
    const uri = (f: string) => w.asWebviewUri(vscode.Uri.joinPath(host.webviewRoot(), f)).toString();
    w.html = dashboardHtml({
      cspSource: w.cspSource,
      nonce: makeNonce((n) => randomBytes(n)),
      scriptUri: uri('charts.js'),
      styleUri: uri('charts.css'),
      codiconUri: uri('codicon.css'),
    });
    this.feed = host.store.dashboards.open(state.appKey);
    this.subs.push(
      w.onDidReceiveMessage((m) => this.onMessage(m)),
      panel.onDidChangeViewState(() => this.visibilityChanged()),
      panel.onDidDispose(() => this.dispose()),
      host.store.onDidChange(() => this.storeChanged()),
      this.feed.onDidChange((s) => this.show(s)),
    );
  }

  /** Posts what the feed read: the panels, and the custom query's result. */
  private show(s: FeedSnapshot): void {
    this.lastData = s.data;
    this.post(DataMessage, s.data);
    if (s.custom) this.post(CustomResultMessage, s.custom);
  }

  get appKey(): string {
    return this.state.appKey;
  }

  /**
   * The application's entry, followed to another key when the store lists it there: the panel
   * re-keys itself and tells the webview, which saves the new key for the next reload.
   */
  private bound(): AppEntry | undefined {
    const e = findApplication(this.host.store.applications(), this.state.appKey);
    if (!e || e.key === this.state.appKey || this.disposed) return e;
    const from = this.state.appKey;
    if (!this.host.rekey(this, from, e.key)) {
      // Another panel shows this application already: keep that one.
      this.panel.dispose();
      return undefined;
    }
    this.host.f.log.info(`dashboard: ${from} is listed as ${e.key} now; its panel follows it`);
    this.state = { ...this.state, appKey: e.key };
    this.feed.setAppKey(e.key);
    return e;
  }

  private post<P>(type: IpcMessageType<P>, params: P): void {
    if (!this.disposed) void this.panel.webview.postMessage(type.make(params));
  }

  private onMessage(raw: unknown): void {
    const msg: IpcMessage | undefined = parseMessage(DASHBOARD_FROM_WEBVIEW, raw);
    if (!msg) {
      this.host.f.log.warn(`dashboard: ignored a message that is not in the allow-list: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (isMessage(ReadyMessage, msg)) {
      this.ready = true;
      this.widths = { ...msg.params.widths };
      this.sendInit();
      this.ask();
    } else if (isMessage(ResizeMessage, msg)) {
      const wider = Object.entries(msg.params.widths).some(([k, v]) => Math.abs((this.widths[k] ?? 0) - v) > 40);
      this.widths = { ...this.widths, ...msg.params.widths };
      if (wider) this.ask();
    } else if (isMessage(SetRangeMessage, msg)) {
      this.state = { ...this.state, range: msg.params.range };
      this.ask();
    } else if (isMessage(RefreshMessage, msg)) {
      void this.refreshNow();
    } else if (isMessage(RunQueryMessage, msg)) {
      this.state = { ...this.state, customQuery: msg.params.query.trim() };
      this.ask();
    } else if (isMessage(OpenInPrometheusMessage, msg)) {
      void this.openInPrometheus(msg.params.query);
    }
  }

  /** Never rejects: a client that cannot be made (a CA file gone) is a log line and a message in the panel. */
  async openInPrometheus(query: string): Promise<void> {
    const e = this.bound();
    const w = e ? timeWindow(this.state.range, dashboardApp(e, this.host.store.detail(e.key)), Date.now()) : { start: 0, end: 3600 };
    const link = await prometheusLinkFor(() => this.host.store.reads.prometheusFor(this.state.appKey), query, w.end - w.start);
    let problem = 'problem' in link ? link.problem : undefined;
    if ('url' in link) {
      try {
        await vscode.env.openExternal(vscode.Uri.parse(link.url, true));
      } catch (err) {
        problem = `Open in Prometheus: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (!problem) return;
    this.host.f.log.warn(`dashboard ${this.state.appKey}: ${problem}`);
    // As a failed refresh: the charts stay, the status line says what went wrong.
    this.post(DataMessage, { panels: [], fetchedAt: Date.now(), start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, problem, range: this.state.range });
    this.lastProblem = problem;
  }
  /** The last problem the panel was told of, for the extension's own tests. */
  lastProblem: string | undefined;

  private sendInit(): void {
    const e = this.bound();
    if (this.disposed) return;
    this.told = told(e);
    this.panel.title = titleOf(e, appIdOfKey(this.state.appKey));
    this.post(InitMessage, {
      state: this.state,
      appName: e?.app.name ?? '',
      appId: e?.app.id ?? appIdOfKey(this.state.appKey),
      running: e?.app.state === 'running',
      panels: PANELS.map((p) => ({ id: p.id, title: p.title, unit: p.unit })),
      problem: e ? undefined : WAITING,
    });
  }

  private storeChanged(): void {
    // The application is listed (after a reload the store starts empty), under another key, or ends.
    const e = this.bound();
    if (!this.ready || this.disposed || told(e) === this.told) return;
    this.sendInit();
    this.feed.kick();
  }
  /** Which application, and in which state, the webview was last told of (undefined: none listed). */
  private told: string | undefined;

  /** Tells the feed what the webview shows now, and whether it is shown at all. */
  private ask(): void {
    if (this.disposed || !this.ready) return;
    this.feed.setRequest({
      range: this.state.range,
      widths: this.widths,
      customQuery: this.state.customQuery,
      queryOverrides: this.settings.queryOverrides,
      scrapeIntervalSetting: this.settings.scrapeIntervalSeconds,
    });
    // Hidden, or the window unfocused: nothing is read, and what is in flight is dropped.
    this.feed.setActive(this.panel.visible && this.host.focused);
  }

  visibilityChanged(): void {
    this.ask();
  }

  focusChanged(): void {
    this.ask();
  }

  settingsChanged(): void {
    this.ask();
  }

  /** Reads everything now (profiles detected again); resolves when the feed has published. */
  refreshNow(): Promise<void> {
    this.ask();
    return this.feed.refresh();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.feed.dispose();
    for (const s of this.subs) s.dispose();
  }
}

/** What the webview is told of an application: which one and its state. */
function told(e: AppEntry | undefined): string | undefined {
  return e ? `${e.key} ${e.app.state}` : undefined;
}
