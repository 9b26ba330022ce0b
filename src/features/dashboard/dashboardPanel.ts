/**
 * The host side of the Prometheus dashboard (F3): one webview panel per application, opened
 * from the palette or from an application in the tree, restored after a reload by a serializer
 * (no retainContextWhenHidden: the webview persists its own small state and the host resends
 * data). The host fetches, through the store's Prometheus client and dashboardQueries.ts, and
 * posts data; the webview never touches the network.
 *
 * Refresh follows the store's discipline: one loop per panel, a timer only while the panel is
 * visible and the window focused, work in flight cancelled when it hides.
 */
import { Command } from '../../commands';
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { FeatureContext } from '../../featureContext';
import type { Config } from '../../config';
import { builtinDashboard } from './builtinData';
import type { AppEntry, Store } from '../../store/store';
import { appKeyArg } from '../../ui/commandArgs';
import { dashboardHtml } from './dashboardHtml';
import { makeNonce } from '../../ui/webviewHtml';
import { pickItemText } from '../../ui/labels';
import {
  DashboardApp,
  detect,
  Detection,
  DEFAULT_WIDTH_PX,
  fetchCustom,
  fetchPanels,
  PanelRequest,
  planPanels,
  planRange,
  prometheusLinkFor,
  timeWindow,
} from './dashboardQueries';
import { PANELS } from '../../model/promql';
import {
  CUSTOM_PANEL_ID,
  CustomResultMessage,
  DASHBOARD_FROM_WEBVIEW,
  DashboardState,
  DataMessage,
  DataParams,
  InitMessage,
  IpcMessage,
  IpcMessageType,
  isDashboardState,
  isMessage,
  OpenInPrometheusMessage,
  parseMessage,
  ReadyMessage,
  RefreshMessage,
  ResizeMessage,
  RunQueryMessage,
  SetRangeMessage,
} from '../../shared/protocol';

export const DASHBOARD_VIEW_TYPE = 'sparkObservatory.dashboard';
/** Profiles are looked for again this often: metrics can appear after the first executor starts. */
const REDETECT_MS = 60_000;

function dashboardApp(e: AppEntry, store: Store): DashboardApp {
  const ns = store.detail(e.key)?.detail.environment?.sparkProperties['spark.metrics.namespace'];
  const end = e.app.endTime ?? (e.app.startTime !== undefined && e.app.durationMs !== undefined ? e.app.startTime + e.app.durationMs : undefined);
  return {
    id: e.app.id,
    name: e.app.name,
    startTime: e.app.startTime,
    endTime: end,
    running: e.app.state === 'running',
    // `${spark.app.id}`-style namespaces resolve to the id, which is tried anyway.
    metricsNamespace: ns && !ns.includes('${') ? ns : undefined,
  };
}

/** Owns every open dashboard, the window-focus state they share, and the serializer. */
export class DashboardHost implements vscode.Disposable {
  readonly panels = new Map<string, DashboardPanel>();
  focused = vscode.window.state.focused;
  private readonly subs: vscode.Disposable[] = [];

  constructor(readonly f: FeatureContext) {
    this.subs.push(
      vscode.window.onDidChangeWindowState((s) => {
        if (this.focused === s.focused) return;
        this.focused = s.focused;
        for (const p of this.panels.values()) p.focusChanged();
      }),
      f.config.onDidChange(() => {
        for (const p of this.panels.values()) p.settingsChanged();
      }),
    );
  }

  get store(): Store {
    return this.f.store;
  }

  webviewRoot(): vscode.Uri {
    return vscode.Uri.joinPath(this.f.context.extensionUri, 'dist', 'webview');
  }

  /**
   * Shows the dashboard of the application with this key (`group|appId`), creating it when there
   * is none. The application need not be listed yet: the panel waits for it (as after a reload).
   */
  createOrShow(appKey: string): DashboardPanel {
    const existing = this.panels.get(appKey);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const title = titleOf(this.store.entry(appKey), appKey.split('|').pop());
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, title, vscode.ViewColumn.Active, this.webviewOptions());
    return this.adopt(panel, { appKey, range: '15m', customQuery: '' });
  }

  /** A panel VS Code restored after a reload, with the state its webview saved. */
  revive(panel: vscode.WebviewPanel, state: DashboardState): DashboardPanel {
    const existing = this.panels.get(state.appKey);
    if (existing) {
      // Two restored panels for one application: keep one.
      panel.dispose();
      return existing;
    }
    panel.webview.options = this.webviewOptions();
    return this.adopt(panel, state);
  }

  webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, enableCommandUris: false, localResourceRoots: [this.webviewRoot()] };
  }

  private adopt(panel: vscode.WebviewPanel, state: DashboardState): DashboardPanel {
    const p = new DashboardPanel(this, panel, state);
    this.panels.set(state.appKey, p);
    panel.onDidDispose(() => this.panels.delete(state.appKey));
    return p;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    for (const s of this.subs) s.dispose();
  }
}

function titleOf(entry: AppEntry | undefined, fallback = 'application'): string {
  return `Spark: ${entry?.app.name || entry?.app.id || fallback}`;
}

/** One application's dashboard. */
export class DashboardPanel {
  private state: DashboardState;
  private widths: Record<string, number> = {};
  private ready = false;
  private disposed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private detection: { value: Detection; at: number; appId: string } | undefined;
  private lastOk = false;
  private lastStepSeconds = 0;
  /** `sparkObservatory.prometheus.*`, read from the one settings snapshot. */
  private get settings(): Config['prometheus'] {
    return this.host.f.config.value.prometheus;
  }
  private readonly subs: vscode.Disposable[] = [];
  /**
   * While open, the dashboard watches its application's executor and stage lists, live: the
   * store's built-in series get a point at every refresh interval, for the panels to draw when
   * Prometheus has nothing for the application.
   */
  private watch: { dispose(): void } | undefined;
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
    this.subs.push(
      w.onDidReceiveMessage((m) => this.onMessage(m)),
      panel.onDidChangeViewState(() => this.visibilityChanged()),
      panel.onDidDispose(() => this.dispose()),
      host.store.onDidChange(() => this.storeChanged()),
      { dispose: () => this.watch?.dispose() },
    );
    this.watch = host.store.watch(state.appKey, { parts: ['executors', 'stages'], live: true });
  }

  get appKey(): string {
    return this.state.appKey;
  }

  private get entry(): AppEntry | undefined {
    return this.host.store.entry(this.state.appKey);
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
      this.refreshNow();
    } else if (isMessage(ResizeMessage, msg)) {
      const wider = Object.entries(msg.params.widths).some(([k, v]) => Math.abs((this.widths[k] ?? 0) - v) > 40);
      this.widths = { ...this.widths, ...msg.params.widths };
      if (wider) this.refreshNow();
    } else if (isMessage(SetRangeMessage, msg)) {
      this.state = { ...this.state, range: msg.params.range };
      this.refreshNow();
    } else if (isMessage(RefreshMessage, msg)) {
      this.detection = undefined;
      this.refreshNow();
    } else if (isMessage(RunQueryMessage, msg)) {
      this.state = { ...this.state, customQuery: msg.params.query.trim() };
      this.refreshNow();
    } else if (isMessage(OpenInPrometheusMessage, msg)) {
      void this.openInPrometheus(msg.params.query);
    }
  }

  /** Never rejects: a client that cannot be made (a CA file gone) is a log line and a message in the panel. */
  async openInPrometheus(query: string): Promise<void> {
    const e = this.entry;
    const w = e ? timeWindow(this.state.range, dashboardApp(e, this.host.store), Date.now()) : { start: 0, end: 3600 };
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
    this.post(DataMessage, { panels: [], fetchedAt: Date.now(), start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, problem });
    this.lastProblem = problem;
  }
  /** The last problem the panel was told of, for the extension's own tests. */
  lastProblem: string | undefined;

  private sendInit(problem?: string): void {
    const e = this.entry;
    this.seenState = e?.app.state;
    this.panel.title = titleOf(e, this.state.appKey.split('|').pop());
    this.post(InitMessage, {
      state: this.state,
      appName: e?.app.name ?? '',
      appId: e?.app.id ?? this.state.appKey.split('|').pop() ?? '',
      running: e?.app.state === 'running',
      panels: PANELS.map((p) => ({ id: p.id, title: p.title, unit: p.unit })),
      problem: problem ?? (e ? undefined : 'Waiting for the application to be listed by a source…'),
    });
  }

  private storeChanged(): void {
    // The application appears (after a reload, before the first poll) or ends.
    const e = this.entry;
    const seen = e ? e.app.state : undefined;
    if (!this.ready || seen === this.seenState) return;
    this.seenState = seen;
    this.sendInit();
    if (e && !this.timer && !this.inFlight) void this.refreshNow();
  }
  /** The application's state when the webview was last told (undefined: not listed). */
  private seenState: string | undefined;

  visibilityChanged(): void {
    if (this.panel.visible) {
      this.refreshNow();
    } else {
      // Hidden: nothing polls, and what is in flight is dropped.
      this.pause();
    }
  }

  focusChanged(): void {
    if (this.host.focused && this.panel.visible) this.refreshNow();
    else if (!this.host.focused) this.pause();
  }

  settingsChanged(): void {
    this.detection = undefined;
    this.refreshNow();
  }

  private pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  /** Cancels the loop's pending step and refreshes at once (the loop continues from there). */
  refreshNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.refresh();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || !this.ready || !this.panel.visible || !this.host.focused) return;
    const e = this.entry;
    // A finished application's data does not change: no loop once it has been drawn.
    if (e && e.app.state !== 'running' && this.lastOk) return;
    const delay = Math.max(this.host.f.config.value.refreshIntervalMs, this.lastStepSeconds * 1000, 1000);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    if (this.disposed || !this.ready) return;
    this.inFlight?.abort();
    const ctl = new AbortController();
    this.inFlight = ctl;
    try {
      const data = await this.collect(ctl.signal);
      if (ctl.signal.aborted) return;
      if (data) {
        this.lastData = data;
        this.lastOk = !data.problem;
        this.post(DataMessage, data);
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      const message = e instanceof Error ? e.message : String(e);
      this.host.f.log.warn(`dashboard ${this.state.appKey}: ${message}`);
      this.post(DataMessage, { panels: [], fetchedAt: Date.now(), start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, problem: `Prometheus: ${message}` });
    } finally {
      if (this.inFlight === ctl) {
        this.inFlight = undefined;
        this.schedule();
      }
    }
  }

  /** One refresh: detection when due, every panel, the custom query. */
  private async collect(signal: AbortSignal): Promise<DataParams | undefined> {
    const now = Date.now();
    const e = this.entry;
    const empty = { panels: [], fetchedAt: now, start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0 };
    if (!e) return { ...empty, problem: 'Waiting for the application to be listed by a source…' };
    const app = dashboardApp(e, this.host.store);
    const window = timeWindow(this.state.range, app, now);
    const widthOf = (id: string) => this.widths[id] ?? this.widths.default ?? DEFAULT_WIDTH_PX;
    // Prometheus wherever it has the application; else the store's built-in series.
    const builtin = () => builtinDashboard(this.host.store.series(this.state.appKey), window, widthOf, now);
    const prom = await this.host.store.reads.prometheusFor(this.state.appKey);
    if (!prom) {
      this.lastStepSeconds = 0;
      return builtin() ?? { ...empty, problem: 'No Prometheus source, and no built-in series yet: the extension records them while it polls a running application (keep this dashboard open while it runs).' };
    }
    if (!this.detection || this.detection.appId !== app.id || now - this.detection.at > REDETECT_MS) {
      this.detection = { value: await detect(prom, app, this.settings.scrapeIntervalSeconds, signal), at: now, appId: app.id };
    }
    const detection = this.detection.value;
    const own = detection.detected.profiles.length === 0 ? builtin() : undefined;
    if (own) {
      // Prometheus may start scraping it any moment (a new target): asked again within 30 s.
      if (now - this.detection.at > 30_000) this.detection = undefined;
      this.lastStepSeconds = 0;
      return own;
    }
    // Each panel's step follows its own canvas width; the rate window follows the step.
    const plansByStep = new Map<number, ReturnType<typeof planPanels>>();
    const reqs: PanelRequest[] = PANELS.map((p) => {
      const range = planRange(window, widthOf(p.id), detection.scrapeIntervalSeconds);
      let plans = plansByStep.get(range.step);
      if (!plans) {
        plans = planPanels(detection, app, range.step, this.settings.queryOverrides);
        plansByStep.set(range.step, plans);
      }
      return { plan: plans.find((x) => x.id === p.id)!, range };
    });
    this.lastStepSeconds = Math.min(...reqs.map((r) => r.range.step));
    const [panels, custom] = await Promise.all([
      fetchPanels(prom, reqs, signal),
      this.state.customQuery
        ? fetchCustom(prom, this.state.customQuery, planRange(window, widthOf(CUSTOM_PANEL_ID), detection.scrapeIntervalSeconds), signal)
        : Promise.resolve(undefined),
    ]);
    if (custom) this.post(CustomResultMessage, { panel: custom, query: this.state.customQuery });
    return {
      panels,
      fetchedAt: now,
      start: reqs[0].range.start * 1000,
      end: reqs[0].range.end * 1000,
      profiles: [...detection.detected.profiles],
      scrapeIntervalSeconds: detection.scrapeIntervalSeconds,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pause();
    for (const s of this.subs) s.dispose();
  }
}


async function pickApplication(store: Store): Promise<AppEntry | undefined> {
  const apps = store.applications();
  if (apps.length === 0) {
    void vscode.window.showInformationMessage('No Spark application is known yet: start one, or add a source.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    apps.map((e) => pickItemText({
      label: e.app.name || e.app.id,
      description: `${e.app.id} · ${e.app.state}${e.via === 'history' ? ' · history' : ''}`,
      detail: e.group,
      entry: e,
    })),
    { title: 'Open Spark Dashboard', placeHolder: 'Application', matchOnDescription: true },
  );
  return pick?.entry;
}

/** Registers the command and the serializer. */
export function register(f: FeatureContext): void {
  const host = new DashboardHost(f);
  f.context.subscriptions.push(
    host,
    vscode.commands.registerCommand(Command.OpenDashboard, async (node?: unknown) => {
      // From a tree node, from a key (`group|appId`, for links and tests), or picked in the palette.
      const key = appKeyArg(node) ?? (typeof node === 'string' ? node : (await pickApplication(f.store))?.key);
      return key ? host.createOrShow(key) : undefined;
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (isDashboardState(state)) host.revive(panel, state);
        else panel.dispose(); // nothing to restore it to
      },
    }),
  );
}
