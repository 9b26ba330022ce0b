/**
 * One application's Prometheus dashboard (F3), host side: a webview panel opened from the palette
 * or from an application in the tree, restored after a reload by the serializer (dashboardHost.ts;
 * no retainContextWhenHidden: the webview persists its own small state and the host resends
 * data). The host fetches, through the store's Prometheus client and dashboardQueries.ts, and
 * posts data; the webview never touches the network.
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
import type { AppEntry, Store } from '../../store/store';
import type { DashboardHost } from './dashboardHost';
import { appIdOfKey, findApplication } from '../../model/appKey';
import { dashboardHtml } from './dashboardHtml';
import { makeNonce } from '../../ui/webviewHtml';
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
  isMessage,
  OpenInPrometheusMessage,
  parseMessage,
  ReadyMessage,
  RefreshMessage,
  ResizeMessage,
  RunQueryMessage,
  SetRangeMessage,
} from '../../shared/protocol';

const WAITING = 'Waiting for the application to be listed by a source…';
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

export function titleOf(entry: AppEntry | undefined, fallback = 'application'): string {
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
    );
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
    this.detection = undefined;
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
    const e = this.bound();
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
    if (e && !this.timer && !this.inFlight) void this.refreshNow();
  }
  /** Which application, and in which state, the webview was last told of (undefined: none listed). */
  private told: string | undefined;

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
    const e = this.bound();
    // Not listed: the store's change event starts the loop (storeChanged), not a timer.
    if (!e) return;
    // A finished application's data does not change: no loop once it has been drawn.
    if (e.app.state !== 'running' && this.lastOk) return;
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
      this.post(DataMessage, { panels: [], fetchedAt: Date.now(), start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, range: this.state.range, problem: `Prometheus: ${message}` });
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
    const e = this.bound();
    const range = this.state.range;
    const empty = { panels: [], fetchedAt: now, start: 0, end: 0, profiles: [], scrapeIntervalSeconds: 0, range };
    if (!e) return { ...empty, problem: WAITING };
    const prom = await this.host.store.reads.prometheusFor(this.state.appKey);
    if (!prom) {
      return { ...empty, problem: 'No Prometheus source: add one (Spark: Add Source…) or run Prometheus on 127.0.0.1:9090 scraping the driver.' };
    }
    const app = dashboardApp(e, this.host.store);
    if (!this.detection || this.detection.appId !== app.id || now - this.detection.at > REDETECT_MS) {
      this.detection = { value: await detect(prom, app, this.settings.scrapeIntervalSeconds, signal), at: now, appId: app.id };
    }
    const detection = this.detection.value;
    const window = timeWindow(range, app, now);
    const widthOf = (id: string) => this.widths[id] ?? this.widths.default ?? DEFAULT_WIDTH_PX;
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
      range,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pause();
    for (const s of this.subs) s.dispose();
  }
}

/** What the webview is told of an application: which one and its state. */
function told(e: AppEntry | undefined): string | undefined {
  return e ? `${e.key} ${e.app.state}` : undefined;
}
