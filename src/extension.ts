/**
 * Composition root: builds the objects, registers them, nothing else. Activation stays cheap
 * (DESIGN.md: ≤ 25 ms): no request is made here; the store's first poll runs on a timer.
 */
import * as vscode from 'vscode';
import { ConfigHolder, Config } from './config';
import { CredentialStore } from './credentials';
import { createHttpClient } from './sources/http';
import { Store, StoreSettings } from './store/store';
import { AppsTreeProvider, hasApp, Node } from './features/explorer/appsTree';
import { StatusBar } from './features/explorer/statusBar';
import { redactingLog } from './ui/redactingLog';
import { addSource, setCredentials } from './features/explorer/sourceCommands';
import { sparkUiUrl } from './model/uiLinks';
import { Command, VIEW_ID } from './commands';
import type { SourceConfig } from './model/types';
import type { FeatureContext } from './featureContext';
import { register as registerDashboard } from './features/dashboard/dashboardHost';
import { register as registerObserve } from './features/runFile/index';
import { register as registerInlineHints } from './features/inlineHints/inlineHints';
import { register as registerComparisons } from './features/compare/index';

/**
 * Feature modules, each `register(f)`. Add one line per feature; keep the order stable.
 */
const FEATURES: Array<(f: FeatureContext) => void> = [
  registerDashboard,
  registerObserve,
  registerComparisons,
  registerInlineHints,
];

/** What the extension exposes to its own tests (and to nothing else). */
export interface SparkObservatoryApi {
  readonly store: Store;
  readonly tree: AppsTreeProvider;
  readonly statusBar: StatusBar;
  readonly credentials: CredentialStore;
  /** How many disposables the extension holds until it deactivates (context.subscriptions): its leak tests count them. */
  subscriptionCount(): number;
}

function storeSettings(c: Config): StoreSettings {
  return {
    // Sources and discovery are machine-scoped settings (and restricted in untrusted
    // workspaces), so a workspace can never point the extension at an endpoint.
    configured: c.sources,
    discovery: c.discovery,
    refreshIntervalMs: c.refreshIntervalMs,
    statusBarIntervalMs: c.statusBarIntervalMs,
    requestTimeoutMs: c.requestTimeoutMs,
    historyMaxApplications: c.historyMaxApplications,
  };
}

export function activate(context: vscode.ExtensionContext): SparkObservatoryApi {
  const log = redactingLog(vscode.window.createOutputChannel('Spark Observatory', { log: true }));
  const config = new ConfigHolder();
  const credentials = new CredentialStore(context.secrets);

  // Only configured sources carry credentials; discovered ones are loopback probes.
  const makeClient = async (source: SourceConfig, timeoutMs: number) =>
    createHttpClient({
      baseUrl: source.url,
      caFile: source.caFile,
      timeoutMs,
      credentials: source.origin === 'settings' ? await credentials.get(source.name, source.url) : undefined,
    });
  const store = new Store(storeSettings(config.value), {
    makeClient,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });

  const tree = new AppsTreeProvider(store);
  const view = vscode.window.createTreeView<Node>(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const statusBar = new StatusBar(store);

  store.setViewVisible(view.visible);
  store.setFocused(vscode.window.state.focused);

  context.subscriptions.push(
    log,
    config,
    store,
    tree,
    view,
    statusBar,
    view.onDidChangeVisibility((e) => store.setViewVisible(e.visible)),
    view.onDidCollapseElement((e) => tree.collapsed(e.element)),
    vscode.window.onDidChangeWindowState((s) => store.setFocused(s.focused)),
    config.onDidChange((c) => store.updateSettings(storeSettings(c))),
    credentials.onDidChange((name) => store.forgetClient(name)),
    vscode.commands.registerCommand(Command.Refresh, () => store.refresh()),
    vscode.commands.registerCommand(Command.ShowLog, () => log.show()),
    vscode.commands.registerCommand(Command.AddSource, () => addSource()),
    vscode.commands.registerCommand(Command.SetCredentials, () => setCredentials(credentials, store)),
    vscode.commands.registerCommand(Command.OpenSparkUi, (node?: Node) => {
      if (!hasApp(node)) return;
      const source = store.source(node.entry.sourceId);
      const url = source && sparkUiUrl(source.config.url, node.entry.via, node.entry.app, node.uiPage);
      if (url) void vscode.env.openExternal(vscode.Uri.parse(url));
    }),
    vscode.commands.registerCommand(Command.CopyApplicationId, (node?: Node) => {
      if (hasApp(node)) void vscode.env.clipboard.writeText(node.entry.app.id);
    }),
  );
  const features: FeatureContext = { context, store, config, log, credentials, tree, view };
  for (const register of FEATURES) register(features);
  store.start();
  return { store, tree, statusBar, credentials, subscriptionCount: () => context.subscriptions.length };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
