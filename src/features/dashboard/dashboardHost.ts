/**
 * The dashboard feature (F3): the command, the serializer that restores panels after a window
 * reload, and the host that owns every open panel (dashboardPanel.ts, one per application) and
 * the window-focus state they share.
 */
import * as vscode from 'vscode';
import type { FeatureContext } from '../../featureContext';
import type { AppEntry, Store } from '../../store/store';
import { appKeyArg } from '../../ui/commandArgs';
import { pickItemText } from '../../ui/labels';
import { Command } from '../../commands';
import { appIdOfKey } from '../../model/appKey';
import { DashboardState, isDashboardState } from '../../shared/protocol';
import { DashboardPanel, titleOf } from './dashboardPanel';

export const DASHBOARD_VIEW_TYPE = 'sparkObservatory.dashboard';

/** Owns every open dashboard, the window-focus state they share, and the serializer. */
export class DashboardHost implements vscode.Disposable {
  /** Open panels by the key of the application each shows (a panel re-keys itself, see rekey). */
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
    const title = titleOf(this.store.entry(appKey), appIdOfKey(appKey));
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

  /**
   * A panel found its application under another key (see model/appKey.ts). False when another
   * panel already shows that application: the caller closes itself, as revive keeps one.
   */
  rekey(p: DashboardPanel, from: string, to: string): boolean {
    const other = this.panels.get(to);
    if (other && other !== p) return false;
    if (this.panels.get(from) === p) this.panels.delete(from);
    this.panels.set(to, p);
    return true;
  }

  webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, enableCommandUris: false, localResourceRoots: [this.webviewRoot()] };
  }

  private adopt(panel: vscode.WebviewPanel, state: DashboardState): DashboardPanel {
    const p = new DashboardPanel(this, panel, state);
    this.panels.set(state.appKey, p);
    panel.onDidDispose(() => {
      if (this.panels.get(p.appKey) === p) this.panels.delete(p.appKey);
    });
    return p;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
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
